import type { ReservationKind, ResourceAmounts } from '../core/domain';
import { BLOCKING_QUERY, type Items } from './fields';
import { route } from './schema';

/** A ledger reservation, with cpu in cores and storage as `plugin/pool=bytes` for the table. */
export interface ReservationView {
  holderId: string;
  nodeId: string;
  kind: ReservationKind;
  cpu: number;
  memoryBytes: number;
  storage: string;
  amounts: ResourceAmounts;
}

export const listReservations = route<Items<ReservationView>>()({
  method: 'GET',
  url: '/v1/reservations',
  summary: 'what the ledger holds on each node',
  schema: { querystring: BLOCKING_QUERY },
});
