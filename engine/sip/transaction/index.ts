// SIP transactions (RFC 3261 17 with RFC 6026): client and server, INVITE and non-INVITE, injectable timers.
export { ClientTransaction, type ClientTransactionHandlers, type ClientTransactionState, clientKey } from './client-transaction.js';
export { ServerTransaction, type ServerTransactionState, ackKey } from './server-transaction.js';
export { TransactionLayer, type RequestHandler, type StrayResponseHandler, type TransactionLayerOptions, serverKey } from './transaction-layer.js';
export { DEFAULT_TIMER_VALUES, ManualTimers, type TimerHandle, type TimerService, type TimerValues, realTimers } from './timers.js';
