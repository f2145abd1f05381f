// Real media for the emulated phones: RTP/SRTP at 20 ms on a shared clock, SRTCP reports, statistics, key export.
export * from './rtp-packet.js';
export * from './g711.js';
export * from './media-clock.js';
export * from './media-stream.js';
export * from './sdp-media.js';
export * from './media-session.js';
export * from './key-export.js';
export * from './pcap.js';
