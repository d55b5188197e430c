export const REPLICA_ID = Symbol('REPLICA_ID');
