import type { FastifyInstance } from 'fastify';
import type { ApiServices } from '../services';
import { registerApplyRoutes } from './apply';
import { registerAppRoutes } from './apps';
import { registerBackupRoutes } from './backups';
import { registerClaimRoutes } from './claims';
import { registerEndpointRoutes } from './endpoints';
import { registerEventRoutes } from './events';
import { registerHealthRoutes } from './health';
import { registerMetricsRoutes } from './metrics';
import { registerNodeRoutes } from './nodes';
import { registerPluginRoutes } from './plugins';
import { registerRecoveryPointRoutes } from './recovery-points';
import { registerRepositoryRoutes } from './repositories';
import { registerReservationRoutes } from './reservations';
import { registerRestoreRoutes } from './restores';
import { registerScheduleRoutes } from './schedules';
import { registerStorageClassRoutes } from './storage-classes';
import { registerTaskRoutes } from './tasks';
import { registerVolumeRoutes } from './volumes';

/** Every route of the API, one file per resource; each is a route of the contract in api/. */
export function registerRoutes(app: FastifyInstance, services: ApiServices): void {
  for (const register of [
    registerApplyRoutes,
    registerAppRoutes,
    registerTaskRoutes,
    registerEndpointRoutes,
    registerNodeRoutes,
    registerVolumeRoutes,
    registerClaimRoutes,
    registerReservationRoutes,
    registerStorageClassRoutes,
    registerPluginRoutes,
    registerEventRoutes,
    registerRecoveryPointRoutes,
    registerRestoreRoutes,
    registerBackupRoutes,
    registerScheduleRoutes,
    registerRepositoryRoutes,
    registerMetricsRoutes,
  ])
    register(app, services);
  registerHealthRoutes(app);
}
