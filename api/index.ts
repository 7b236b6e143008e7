/**
 * The contract of Berth's HTTP/JSON API, shared by the server (server/api/routes/*, which registers
 * every route with these schemas) and the CLI (cli/api-client.ts, which calls routes by these
 * definitions). One file per resource. Request types are derived from the schemas; answers that are
 * records are the store's records as stored (server/store/records.ts), named here for callers.
 * Unknown fields in a body or query string are refused with 400; GET /v1/openapi.json is the
 * OpenAPI document generated from the same schemas.
 */
import * as applyRoutes from './apply';
import * as apps from './apps';
import * as backups from './backups';
import * as claims from './claims';
import * as endpoints from './endpoints';
import * as events from './events';
import * as health from './health';
import * as metrics from './metrics';
import * as nodes from './nodes';
import * as plugins from './plugins';
import * as recoveryPoints from './recovery-points';
import * as repositories from './repositories';
import * as reservations from './reservations';
import * as restores from './restores';
import * as schedules from './schedules';
import { type Route } from './schema';
import * as storageClasses from './storage-classes';
import * as tasks from './tasks';
import * as volumes from './volumes';

export * from './apply';
export * from './apps';
export * from './backups';
export * from './claims';
export * from './endpoints';
export * from './events';
export * from './fields';
export * from './health';
export * from './metrics';
export * from './nodes';
export * from './plugins';
export * from './recovery-points';
export * from './repositories';
export * from './reservations';
export * from './restores';
export * from './schedules';
export * from './schema';
export * from './storage-classes';
export * from './tasks';
export * from './volumes';

const isRoute = (v: unknown): v is Route => typeof v === 'object' && v !== null && 'method' in v && 'url' in v && 'schema' in v;

/** Every route of the API (what the server must register and the OpenAPI document must list). */
export const ROUTES: readonly Route[] = [
  applyRoutes,
  apps,
  backups,
  claims,
  endpoints,
  events,
  health,
  metrics,
  nodes,
  plugins,
  recoveryPoints,
  repositories,
  reservations,
  restores,
  schedules,
  storageClasses,
  tasks,
  volumes,
].flatMap((m) => Object.values(m).filter(isRoute));
