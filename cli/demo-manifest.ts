/**
 * The demo `berth up` applies: a storage class on the local plugin and a one-instance stateful app
 * that appends a line to a file on its volume at every start, so restarts show the data persisting.
 */
export function demoManifest(runtime: string): string {
  const image = runtime === 'docker' ? '\n  image: busybox:local' : '';
  return `kind: StorageClass
name: local
spec:
  plugin: berth.local
  default: true
  bindingMode: WaitForFirstConsumer
  reclaimPolicy: Retain
  pool: default
---
kind: App
name: demo
spec:
  instances: 1
  runtime: ${runtime}${image}
  command: ["sh", "-c", "d=\${BERTH_VOLUME_DATA:-/data}; echo \\"started $BERTH_APP-$BERTH_INSTANCE at $(date)\\" >> $d/starts.log; cat $d/starts.log; exec sleep 100000"]
  resources: { cpu: 0.1, memory: 64Mi }
  volumes:
    - name: data
      mountPath: /data
      claim: { storageClass: local, size: 256Mi, accessMode: single-node-writer }
`;
}
