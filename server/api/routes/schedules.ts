import type { FastifyInstance } from 'fastify';
import { createSchedule, deleteSchedule, getSchedule, listSchedules } from '../../../api';
import type { ApiServices } from '../services';
import { serve } from '../serve';

/** Backup schedules: cron with retention, run by the server. Creating answers 201, replacing 200. */
export function registerScheduleRoutes(app: FastifyInstance, { schedules }: ApiServices): void {
  serve(app, createSchedule, async ({ body }, reply) => {
    const { schedule, action } = schedules.create(body);
    if (action !== 'created') void reply.status(200);
    return { ...schedule, action };
  });
  serve(app, listSchedules, async () => ({ items: schedules.list() }));
  serve(app, getSchedule, async ({ params }) => schedules.get(params.name));
  serve(app, deleteSchedule, async ({ params }) => ({ message: schedules.delete(params.name) }));
}
