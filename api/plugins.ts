import { BLOCKING_QUERY, type Items } from './fields';
import { route } from './schema';

/** A CSI plugin as its nodes report it. */
export interface PluginView {
  name: string;
  nodes: string[];
  controllerCapabilities: string[];
  nodeCapabilities: string[];
}

export const listPlugins = route<Items<PluginView>>()({
  method: 'GET',
  url: '/v1/plugins',
  summary: 'CSI plugins reported by nodes',
  schema: { querystring: BLOCKING_QUERY },
});
