import { InMemoryLedgerStore } from '../../reservations';
import { ledgerStoreContract } from './ledger-contract';
import { tempStore } from './temp-store';

ledgerStoreContract('in-memory store', async () => {
  let seed = 7;
  const store = new InMemoryLedgerStore({
    beforeTransaction: () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return new Promise((resolve) => setTimeout(resolve, seed % 3));
    },
  });
  return { store, cleanup: async () => undefined };
});

ledgerStoreContract('SQLite store', async () => {
  const temp = tempStore();
  return {
    get store() {
      return temp.store.ledger;
    },
    reopen: async () => (await temp.reopen()).ledger,
    cleanup: () => temp.cleanup(),
  };
});
