/**
 * Composite ids. Names are DNS labels (no "/" or "@"), so these separators never collide with a
 * part and the ids split back unambiguously.
 */

/** Claim of instance `instance` of app `app` for volume template `template`: "pg/data/0". */
export function claimId(app: string, template: string, instance: number): string {
  return `${app}/${template}/${instance}`;
}

export function parseClaimId(id: string): { app: string; template: string; instance: number } | undefined {
  const parts = id.split('/');
  if (parts.length !== 3) return undefined;
  const instance = Number(parts[2]);
  if (!Number.isSafeInteger(instance) || instance < 0) return undefined;
  return { app: parts[0]!, template: parts[1]!, instance };
}

/** The attachment of a volume on a node: "vol-1@node-a". */
export function attachmentId(volumeId: string, nodeId: string): string {
  return `${volumeId}@${nodeId}`;
}

/** Key of a plugin's registration on a node: "berth.local@node-a". */
export function pluginNodeId(plugin: string, nodeId: string): string {
  return `${plugin}@${nodeId}`;
}
