// Preload for `node --require ./loopback.cjs …` that keeps a process on
// loopback, for runner/portkey_e2e_test.go:
//   - every TCP server it starts listens on 127.0.0.1 only, whatever host (or
//     none, meaning every interface) the program asked for: Portkey's gateway
//     has no host flag and would otherwise listen on all interfaces;
//   - every outgoing TCP connection to anything but a loopback address fails
//     at once with ECONNREFUSED, before any DNS lookup, so the gateway cannot
//     reach the internet even if a request or a config names a remote host.
// Unix socket paths are left alone. Listening on an inherited handle or file
// descriptor is refused, since its address cannot be checked here.
'use strict';

const net = require('net');

const LOOPBACK = '127.0.0.1';

const originalListen = net.Server.prototype.listen;
net.Server.prototype.listen = function listen(...args) {
  const cb = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
  const first = args[0];
  let opts;
  if (first !== null && typeof first === 'object') {
    if (first.path !== undefined) return originalListen.apply(this, cb ? [...args, cb] : args);
    if (first.port === undefined) {
      throw new Error('loopback.cjs: refusing to listen on a handle or file descriptor');
    }
    opts = { ...first };
  } else if (typeof first === 'string' && !/^\d+$/.test(first)) {
    return originalListen.apply(this, cb ? [...args, cb] : args); // a Unix socket path
  } else {
    // listen([port[, host[, backlog]]]): the host, if any, is replaced
    opts = { port: first === undefined || first === null ? 0 : Number(first) };
    const backlog = args.find((a, i) => i > 0 && typeof a === 'number');
    if (backlog !== undefined) opts.backlog = backlog;
  }
  opts.host = LOOPBACK;
  delete opts.ipv6Only;
  return cb ? originalListen.call(this, opts, cb) : originalListen.call(this, opts);
};

function isLoopback(host) {
  if (host === undefined || host === null || host === '' || host === 'localhost') return true;
  const h = String(host).replace(/^\[|\]$/g, '').replace(/^::ffff:/i, '');
  if (net.isIPv4(h)) return h.startsWith('127.');
  return h === '::1';
}

const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function connect(...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0]; // internal calls pass [options, cb]
  let host;
  if (first !== null && typeof first === 'object') {
    if (first.path !== undefined) return originalConnect.apply(this, args);
    host = first.host;
  } else if (typeof first === 'string' && !/^\d+$/.test(first)) {
    return originalConnect.apply(this, args); // a Unix socket path
  } else if (typeof args[1] === 'string') {
    host = args[1];
  }
  if (!isLoopback(host)) {
    const err = new Error(`loopback.cjs: refusing to connect to ${host}: only loopback is allowed`);
    err.code = 'ECONNREFUSED';
    process.nextTick(() => this.destroy(err));
    return this;
  }
  return originalConnect.apply(this, args);
};
