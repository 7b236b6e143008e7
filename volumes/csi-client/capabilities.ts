import { CsiClient } from './client';

/** What a plugin says it can do, gathered once so callers refuse unsupported features up front. */
export interface PluginProfile {
  name: string;
  vendorVersion: string;
  plugin: Set<string>;
  controller: Set<string>;
  node: Set<string>;
  /** ONLINE / OFFLINE when the plugin supports volume expansion. */
  expansion?: string;
}

/** Asks Identity, and Controller and Node where the plugin has them, for their capabilities. */
export async function discoverCapabilities(
  client: CsiClient,
  services: { controller?: boolean; node?: boolean } = { controller: true, node: true },
): Promise<PluginProfile> {
  const info = await client.identity('GetPluginInfo', {});
  const pluginCaps = await client.identity('GetPluginCapabilities', {});
  const profile: PluginProfile = { name: info.name, vendorVersion: info.vendorVersion, plugin: new Set(), controller: new Set(), node: new Set() };
  for (const cap of pluginCaps.capabilities) {
    if (cap.service?.type) profile.plugin.add(cap.service.type);
    if (cap.volumeExpansion?.type) profile.expansion = cap.volumeExpansion.type;
  }
  if (services.controller !== false && profile.plugin.has('CONTROLLER_SERVICE')) {
    const res = await client.controller('ControllerGetCapabilities', {});
    for (const cap of res.capabilities) if (cap.rpc?.type) profile.controller.add(cap.rpc.type);
  }
  if (services.node !== false) {
    const res = await client.node('NodeGetCapabilities', {});
    for (const cap of res.capabilities) if (cap.rpc?.type) profile.node.add(cap.rpc.type);
  }
  return profile;
}
