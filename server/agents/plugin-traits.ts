import type { PluginReport__Output } from '../../proto/berth/generated/berth/agent/v1/PluginReport';

/**
 * What a CSI plugin can do, as the server decides things by it: read once from the capabilities and
 * topology its agent reports (PluginReport), instead of each controller testing capability strings.
 */
export interface PluginTraits {
  /** Reports a topology on its node: its storage is that node's own (berth.local), not shared. */
  readonly nodeLocal: boolean;
  /** CREATE_DELETE_VOLUME: the server (or the agent) can create and delete its volumes. */
  readonly createsVolumes: boolean;
  /** PUBLISH_UNPUBLISH_VOLUME: a volume is ControllerPublished to a node before it is staged there (iSCSI, cloud disks). */
  readonly attachesAtController: boolean;
  /** CREATE_DELETE_SNAPSHOT: takes snapshots, and creates volumes from them. */
  readonly snapshots: boolean;
  /** CLONE_VOLUME: creates a volume from another volume. */
  readonly clones: boolean;
  /** EXPAND_VOLUME: grows a volume at the controller. */
  readonly expands: boolean;
  /**
   * Offers the GROUP_CONTROLLER_SERVICE: it may take group snapshots. Whether it does is asked of the
   * plugin itself (GroupControllerGetCapabilities), which the report does not carry.
   */
  readonly groupController: boolean;
}

/**
 * Records from the store are frozen and shared, so a report object never changes and its traits are
 * computed once. Reports not (yet) frozen (a Sync being handled, a test's fixture) are read afresh.
 */
const cache = new WeakMap<PluginReport__Output, PluginTraits>();

export function pluginTraits(report: PluginReport__Output): PluginTraits {
  const known = cache.get(report);
  if (known) return known;
  const controller = report.controllerCapabilities;
  const traits: PluginTraits = Object.freeze({
    nodeLocal: Object.keys(report.topology).length > 0,
    createsVolumes: controller.includes('CREATE_DELETE_VOLUME'),
    attachesAtController: controller.includes('PUBLISH_UNPUBLISH_VOLUME'),
    snapshots: controller.includes('CREATE_DELETE_SNAPSHOT'),
    clones: controller.includes('CLONE_VOLUME'),
    expands: controller.includes('EXPAND_VOLUME'),
    groupController: report.pluginCapabilities.includes('GROUP_CONTROLLER_SERVICE'),
  });
  if (Object.isFrozen(report) && Object.isFrozen(report.topology) && Object.isFrozen(controller) && Object.isFrozen(report.pluginCapabilities)) {
    cache.set(report, traits);
  }
  return traits;
}
