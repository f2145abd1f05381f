// Call routing: the B2BUA the cluster plugs into its SIP server, its route plan, SDP policy and call records.
export * from './route-plan.js';
export * from './sdp-policy.js';
export * from './call-record.js';
export * from './b2bua.js';
