// Benchmark messages (from ../shared/research/scripts/sip-parse-bench.mjs, our own script): a Cisco 88xx-style
// REGISTER over TLS and an INVITE whose SDP offers four SDES crypto suites.
const crlf = (s: string): string => s.replace(/\r?\n/g, '\r\n');

export const REGISTER = crlf(`REGISTER sip:cucm.example.com SIP/2.0
Via: SIP/2.0/TLS 10.1.1.20:51234;branch=z9hG4bK4a1b2c3d
From: <sip:1001@cucm.example.com>;tag=00562b3c7a1f00024e1a3b5c-4d5e6f70
To: <sip:1001@cucm.example.com>
Call-ID: 00562b3c-7a1f0002-2f3e4d5c-6b7a8c9d@10.1.1.20
Max-Forwards: 70
Date: Tue, 24 Nov 2026 21:00:00 GMT
CSeq: 101 REGISTER
User-Agent: Cisco-CP8845/14.2.1
Contact: <sip:6b1e2d3c-4f5a-6b7c-8d9e-0f1a2b3c4d5e@10.1.1.20:51234;transport=tls>;+sip.instance="<urn:uuid:00000000-0000-0000-0000-00562b3c7a1f>";+u.sip!devicename.ccm.cisco.com="SEP00562B3C7A1F";+u.sip!model.ccm.cisco.com="36670";video
Supported: replaces,join,sdp-anat,norefersub,resource-priority,extended-refer,X-cisco-callinfo,X-cisco-serviceuri,X-cisco-escapecodes,X-cisco-service-control,X-cisco-srtp-fallback,X-cisco-monrec,X-cisco-config,X-cisco-sis-10.0.0,X-cisco-xsi-8.5.1
Reason: SIP;cause=200;text="cisco-alarm:25 Name=SEP00562B3C7A1F Load=sip88xx.14-2-1 Last=initialized"
Expires: 3600
Content-Length: 0

`);

export const SDP = crlf(`v=0
o=Cisco-SIPUA 12345 0 IN IP4 10.1.1.20
s=SIP Call
b=AS:4064
t=0 0
m=audio 26866 RTP/SAVP 0 8 18 101
c=IN IP4 10.1.1.20
b=TIAS:64000
a=crypto:1 AEAD_AES_256_GCM inline:YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY3ODkwQUJDREVGR0g=
a=crypto:2 AEAD_AES_128_GCM inline:YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY=
a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY3ODkw
a=crypto:4 AES_CM_128_HMAC_SHA1_32 inline:YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY3ODkw
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=sendrecv
`);

export const INVITE =
  crlf(`INVITE sip:1002@cucm.example.com;user=phone SIP/2.0
Via: SIP/2.0/TLS 10.1.1.20:51234;branch=z9hG4bK7e8f9a0b
From: "Alice 1001" <sip:1001@cucm.example.com>;tag=00562b3c7a1f00054f6a7b8c-1d2e3f40
To: <sip:1002@cucm.example.com>
Call-ID: 00562b3c-7a1f0005-5a6b7c8d-9e0f1a2b@10.1.1.20
Max-Forwards: 70
Session-ID: 8f7e6d5c00105000a00000562b3c7a1f;remote=00000000000000000000000000000000
Date: Tue, 24 Nov 2026 21:00:05 GMT
CSeq: 101 INVITE
User-Agent: Cisco-CP8845/14.2.1
Contact: <sip:6b1e2d3c-4f5a-6b7c-8d9e-0f1a2b3c4d5e@10.1.1.20:51234;transport=tls>;+u.sip!devicename.ccm.cisco.com="SEP00562B3C7A1F"
Expires: 180
Accept: application/sdp
Allow: ACK,BYE,CANCEL,INVITE,NOTIFY,OPTIONS,REFER,REGISTER,UPDATE,SUBSCRIBE,INFO
Remote-Party-ID: "Alice 1001" <sip:1001@cucm.example.com>;party=calling;id-type=subscriber;privacy=off;screen=yes
Supported: replaces,join,sdp-anat,norefersub,resource-priority,extended-refer,X-cisco-callinfo,X-cisco-serviceuri,X-cisco-escapecodes,X-cisco-service-control,X-cisco-srtp-fallback,X-cisco-monrec,X-cisco-config,X-cisco-sis-10.0.0,X-cisco-xsi-8.5.1
Allow-Events: kpml,dialog
Recv-Info: conference
Recv-Info: x-cisco-conference
Content-Type: application/sdp
Content-Disposition: session;handling=optional
Content-Length: ${Buffer.byteLength(SDP)}

`) + SDP;
