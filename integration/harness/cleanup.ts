/** Test teardown lives with the runtime code that `berth up` shares; tests import it from here. */
export { cleanupUnder } from '../../agent/runtime/teardown';
