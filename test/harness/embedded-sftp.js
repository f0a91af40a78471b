// @ts-check
'use strict';
/**
 * An SFTP version 3 server on a raw SSH channel, served by Node's fs as the current user:
 * the `sftp` subsystem of the embedded demo/test host (embedded-sshd.js). A demo and test
 * aid, not a production SFTP server.
 *
 * Written on the raw channel instead of ssh2's server-mode SFTP stream because that one
 * answers INIT with a fixed VERSION packet that advertises no extensions, so a client
 * cannot use `posix-rename@openssh.com` (tea renames staged files with it). Behaviour
 * follows OpenSSH's sftp-server: requests are handled one at a time in arrival order,
 * relative paths start at the login user's home, errno values map to status codes as
 * sftp-server maps them.
 */
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const path = require('node:path');
const { promisify } = require('node:util');

const REQ = {
  INIT: 1, OPEN: 3, CLOSE: 4, READ: 5, WRITE: 6, LSTAT: 7, FSTAT: 8, SETSTAT: 9, FSETSTAT: 10,
  OPENDIR: 11, READDIR: 12, REMOVE: 13, MKDIR: 14, RMDIR: 15, REALPATH: 16, STAT: 17, RENAME: 18,
  READLINK: 19, SYMLINK: 20, EXTENDED: 200,
};
const RES = { VERSION: 2, STATUS: 101, HANDLE: 102, DATA: 103, NAME: 104, ATTRS: 105, EXTENDED_REPLY: 201 };
const STATUS = { OK: 0, EOF: 1, NO_SUCH_FILE: 2, PERMISSION_DENIED: 3, FAILURE: 4, BAD_MESSAGE: 5, OP_UNSUPPORTED: 8 };
const STATUS_TEXT = ['Success', 'End of file', 'No such file', 'Permission denied', 'Failure', 'Bad message', '', '', 'Operation unsupported'];
const ATTR = { SIZE: 0x1, UIDGID: 0x2, PERMISSIONS: 0x4, ACMODTIME: 0x8, EXTENDED: 0x80000000 };
const PFLAG = { READ: 0x1, WRITE: 0x2, APPEND: 0x4, CREAT: 0x8, TRUNC: 0x10, EXCL: 0x20 };
/** OpenSSH's sftp-server limits (SFTP_MAX_MSG_LENGTH, and the read cap it announces). */
const MAX_PACKET = 256 * 1024;
const MAX_READ = 255 * 1024;
/** What OpenSSH 9.x advertises that this server implements. */
const EXTENSIONS = [['posix-rename@openssh.com', '1'], ['hardlink@openssh.com', '1'], ['fsync@openssh.com', '1']];

/** sftp-server's errno_to_portable(). */
function statusOf(/** @type {any} */ err) {
  switch (err && err.code) {
    case 'ENOENT': case 'ENOTDIR': case 'EBADF': case 'ELOOP': return STATUS.NO_SUCH_FILE;
    case 'EPERM': case 'EACCES': case 'EFAULT': return STATUS.PERMISSION_DENIED;
    case 'ENAMETOOLONG': case 'EINVAL': return STATUS.BAD_MESSAGE;
    case 'ENOSYS': return STATUS.OP_UNSUPPORTED;
    default: return STATUS.FAILURE;
  }
}

class Reader {
  constructor(/** @type {Buffer} */ buf) { this.buf = buf; this.pos = 0; }
  u8() { const v = this.buf.readUInt8(this.pos); this.pos += 1; return v; }
  u32() { const v = this.buf.readUInt32BE(this.pos); this.pos += 4; return v; }
  u64() { const v = this.buf.readBigUInt64BE(this.pos); this.pos += 8; return Number(v); }
  bytes() {
    const n = this.u32();
    if (this.pos + n > this.buf.length) throw new RangeError('string runs past the packet');
    const v = this.buf.subarray(this.pos, this.pos + n); this.pos += n; return v;
  }
  str() { return this.bytes().toString('utf8'); }
  more() { return this.pos < this.buf.length; }
  attrs() {
    const flags = this.u32();
    /** @type {{size?: number, uid?: number, gid?: number, mode?: number, atime?: number, mtime?: number}} */
    const a = {};
    if (flags & ATTR.SIZE) a.size = this.u64();
    if (flags & ATTR.UIDGID) { a.uid = this.u32(); a.gid = this.u32(); }
    if (flags & ATTR.PERMISSIONS) a.mode = this.u32();
    if (flags & ATTR.ACMODTIME) { a.atime = this.u32(); a.mtime = this.u32(); }
    if (flags & ATTR.EXTENDED) { const n = this.u32(); for (let i = 0; i < n; i++) { this.bytes(); this.bytes(); } }
    return a;
  }
}

/** Builds one packet: `type`, then fields (numbers as uint32, {u64}, strings/Buffers length-prefixed, {raw}). */
function packet(/** @type {number} */ type, /** @type {Array<any>} */ ...fields) {
  const parts = [Buffer.from([type])];
  for (const f of fields) {
    if (typeof f === 'number') { const b = Buffer.alloc(4); b.writeUInt32BE(f >>> 0); parts.push(b); }
    else if (f && typeof f === 'object' && 'u64' in f) { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(f.u64)); parts.push(b); }
    else if (f && typeof f === 'object' && 'raw' in f) parts.push(f.raw);
    else { const s = Buffer.isBuffer(f) ? f : Buffer.from(String(f), 'utf8'); const b = Buffer.alloc(4); b.writeUInt32BE(s.length); parts.push(b, s); }
  }
  const body = Buffer.concat(parts);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function encodeAttrs(/** @type {fs.Stats} */ st) {
  const b = Buffer.alloc(4 + 8 + 8 + 4 + 8);
  b.writeUInt32BE(ATTR.SIZE | ATTR.UIDGID | ATTR.PERMISSIONS | ATTR.ACMODTIME, 0);
  b.writeBigUInt64BE(BigInt(st.size), 4);
  b.writeUInt32BE(st.uid >>> 0, 12);
  b.writeUInt32BE(st.gid >>> 0, 16);
  b.writeUInt32BE(st.mode >>> 0, 20);
  b.writeUInt32BE(Math.floor(st.atimeMs / 1000) >>> 0, 24);
  b.writeUInt32BE(Math.floor(st.mtimeMs / 1000) >>> 0, 28);
  return { raw: b };
}

/** An `ls -l`-like line, as SSH_FXP_NAME's longname (clients only display it). */
function longname(/** @type {string} */ name, /** @type {fs.Stats} */ st) {
  const type = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : '-';
  const rwx = (/** @type {number} */ m) => `${m & 4 ? 'r' : '-'}${m & 2 ? 'w' : '-'}${m & 1 ? 'x' : '-'}`;
  const perms = `${type}${rwx(st.mode >> 6)}${rwx(st.mode >> 3)}${rwx(st.mode)}`;
  return `${perms} ${st.nlink} ${st.uid} ${st.gid} ${st.size} ${st.mtime.toISOString().slice(0, 16).replace('T', ' ')} ${name}`;
}

/**
 * Serves SFTP on `channel` (an ssh2 server Channel of the `sftp` subsystem) for a user
 * whose home is `home`. Returns nothing; the session ends when the channel closes.
 * @param {import('ssh2').ServerChannel} channel
 * @param {{ home: string, log?: (line: string) => void }} opts
 */
function serveSftp(channel, opts) {
  const home = opts.home;
  /** @type {Map<string, {kind: 'file', fd: number} | {kind: 'dir', path: string, done: boolean}>} */
  const handles = new Map();
  let nextHandle = 1;
  let inbuf = Buffer.alloc(0);
  let queue = Promise.resolve();
  let closed = false;

  /** SFTP paths are '/'-separated; relative ones start at the home directory. */
  const local = (/** @type {string} */ p) => {
    if (process.platform === 'win32' && /^\/[A-Za-z]:/.test(p)) p = p.slice(1);
    return path.resolve(home, p === '' ? '.' : p);
  };
  const remote = (/** @type {string} */ p) => (process.platform === 'win32' ? `/${p.replace(/\\/g, '/')}` : p);
  const send = (/** @type {Buffer} */ b) => { if (!closed) channel.write(b); };
  const status = (/** @type {number} */ id, /** @type {number} */ code, msg = STATUS_TEXT[code] ?? 'Failure') =>
    send(packet(RES.STATUS, id, code, msg, ''));
  const fail = (/** @type {number} */ id, /** @type {unknown} */ err) => status(id, statusOf(err));
  const handleOf = (/** @type {Reader} */ r) => handles.get(r.bytes().toString('hex'));
  const newHandle = (/** @type {any} */ h) => {
    const buf = Buffer.alloc(4);
    buf.writeUInt32BE(nextHandle++);
    handles.set(buf.toString('hex'), h);
    return buf;
  };

  /** SETSTAT/FSETSTAT on a path or an open file descriptor. */
  async function applyAttrs(/** @type {string | number} */ target, /** @type {ReturnType<Reader['attrs']>} */ a) {
    const fd = typeof target === 'number';
    const t = /** @type {any} */ (target);
    if (a.size !== undefined) await (fd ? promisify(fs.ftruncate)(t, a.size) : fsp.truncate(t, a.size));
    if (a.mode !== undefined) await (fd ? promisify(fs.fchmod)(t, a.mode & 0o7777) : fsp.chmod(t, a.mode & 0o7777));
    if (a.uid !== undefined && a.gid !== undefined) await (fd ? promisify(fs.fchown)(t, a.uid, a.gid) : fsp.chown(t, a.uid, a.gid));
    if (a.atime !== undefined && a.mtime !== undefined) await (fd ? promisify(fs.futimes)(t, a.atime, a.mtime) : fsp.utimes(t, a.atime, a.mtime));
  }

  async function handle(/** @type {Buffer} */ pkt) {
    const r = new Reader(pkt);
    const type = r.u8();
    if (type === REQ.INIT) {
      send(packet(RES.VERSION, 3, ...EXTENSIONS.flat()));
      return;
    }
    const id = r.u32();
    try {
      switch (type) {
        case REQ.OPEN: {
          const p = local(r.str());
          const pflags = r.u32();
          const a = r.attrs();
          const rw = pflags & PFLAG.READ && pflags & PFLAG.WRITE ? fs.constants.O_RDWR : pflags & PFLAG.WRITE ? fs.constants.O_WRONLY : fs.constants.O_RDONLY;
          let flags = rw;
          if (pflags & PFLAG.APPEND) flags |= fs.constants.O_APPEND;
          if (pflags & PFLAG.CREAT) flags |= fs.constants.O_CREAT;
          if (pflags & PFLAG.TRUNC) flags |= fs.constants.O_TRUNC;
          if (pflags & PFLAG.EXCL) flags |= fs.constants.O_EXCL;
          const fd = await new Promise((res, rej) => fs.open(p, flags, a.mode ?? 0o666, (e, f) => (e ? rej(e) : res(f))));
          send(packet(RES.HANDLE, id, newHandle({ kind: 'file', fd })));
          return;
        }
        case REQ.CLOSE: {
          const key = r.bytes().toString('hex');
          const h = handles.get(key);
          if (!h) return status(id, STATUS.FAILURE, 'Invalid handle');
          handles.delete(key);
          if (h.kind === 'file') await new Promise((res, rej) => fs.close(h.fd, (e) => (e ? rej(e) : res(undefined))));
          return status(id, STATUS.OK);
        }
        case REQ.READ: {
          const h = handleOf(r);
          const offset = r.u64();
          const len = Math.min(r.u32(), MAX_READ);
          if (!h || h.kind !== 'file') return status(id, STATUS.FAILURE, 'Invalid handle');
          const buf = Buffer.alloc(len);
          const n = await new Promise((res, rej) => fs.read(h.fd, buf, 0, len, offset, (e, b) => (e ? rej(e) : res(b))));
          if (n === 0) return status(id, STATUS.EOF);
          send(packet(RES.DATA, id, buf.subarray(0, n)));
          return;
        }
        case REQ.WRITE: {
          const h = handleOf(r);
          const offset = r.u64();
          const data = r.bytes();
          if (!h || h.kind !== 'file') return status(id, STATUS.FAILURE, 'Invalid handle');
          let done = 0;
          while (done < data.length) {
            done += await new Promise((res, rej) => fs.write(h.fd, data, done, data.length - done, offset + done, (e, n) => (e ? rej(e) : res(n))));
          }
          return status(id, STATUS.OK);
        }
        case REQ.LSTAT: case REQ.STAT: {
          const p = local(r.str());
          const st = type === REQ.LSTAT ? await fsp.lstat(p) : await fsp.stat(p);
          send(packet(RES.ATTRS, id, encodeAttrs(st)));
          return;
        }
        case REQ.FSTAT: {
          const h = handleOf(r);
          if (!h || h.kind !== 'file') return status(id, STATUS.FAILURE, 'Invalid handle');
          const st = await new Promise((res, rej) => fs.fstat(h.fd, (e, s) => (e ? rej(e) : res(s))));
          send(packet(RES.ATTRS, id, encodeAttrs(st)));
          return;
        }
        case REQ.SETSTAT: {
          await applyAttrs(local(r.str()), r.attrs());
          return status(id, STATUS.OK);
        }
        case REQ.FSETSTAT: {
          const h = handleOf(r);
          if (!h || h.kind !== 'file') return status(id, STATUS.FAILURE, 'Invalid handle');
          await applyAttrs(h.fd, r.attrs());
          return status(id, STATUS.OK);
        }
        case REQ.OPENDIR: {
          const p = local(r.str());
          const st = await fsp.stat(p);
          if (!st.isDirectory()) return status(id, STATUS.NO_SUCH_FILE);
          await fsp.access(p, fs.constants.R_OK);
          send(packet(RES.HANDLE, id, newHandle({ kind: 'dir', path: p, done: false })));
          return;
        }
        case REQ.READDIR: {
          const h = handleOf(r);
          if (!h || h.kind !== 'dir') return status(id, STATUS.FAILURE, 'Invalid handle');
          if (h.done) return status(id, STATUS.EOF);
          h.done = true;
          const names = ['.', '..', ...(await fsp.readdir(h.path))];
          const entries = [];
          for (const name of names) {
            try {
              const st = await fsp.lstat(path.join(h.path, name));
              entries.push(name, longname(name, st), encodeAttrs(st));
            } catch { /* vanished meanwhile */ }
          }
          send(packet(RES.NAME, id, entries.length / 3, ...entries));
          return;
        }
        case REQ.REMOVE: {
          await fsp.unlink(local(r.str()));
          return status(id, STATUS.OK);
        }
        case REQ.MKDIR: {
          const p = local(r.str());
          const a = r.attrs();
          await fsp.mkdir(p, { mode: a.mode ?? 0o777 });
          return status(id, STATUS.OK);
        }
        case REQ.RMDIR: {
          await fsp.rmdir(local(r.str()));
          return status(id, STATUS.OK);
        }
        case REQ.REALPATH: {
          const p = await fsp.realpath(local(r.str()));
          send(packet(RES.NAME, id, 1, remote(p), remote(p), { raw: Buffer.alloc(4) }));
          return;
        }
        case REQ.RENAME: {
          // SSH_FXP_RENAME refuses to replace an existing target (sftp-server links, then unlinks).
          const from = local(r.str());
          const to = local(r.str());
          try {
            await fsp.lstat(to);
            return status(id, STATUS.FAILURE);
          } catch (err) {
            if (/** @type {any} */ (err).code !== 'ENOENT') throw err;
          }
          await fsp.rename(from, to);
          return status(id, STATUS.OK);
        }
        case REQ.READLINK: {
          const target = await fsp.readlink(local(r.str()));
          send(packet(RES.NAME, id, 1, target, target, { raw: Buffer.alloc(4) }));
          return;
        }
        case REQ.SYMLINK: {
          // As OpenSSH's sftp-server reads it: link target first, then the link's path.
          const target = r.str();
          await fsp.symlink(target, local(r.str()));
          return status(id, STATUS.OK);
        }
        case REQ.EXTENDED: {
          const name = r.str();
          if (name === 'posix-rename@openssh.com') {
            const from = local(r.str());
            await fsp.rename(from, local(r.str()));
            return status(id, STATUS.OK);
          }
          if (name === 'hardlink@openssh.com') {
            const from = local(r.str());
            await fsp.link(from, local(r.str()));
            return status(id, STATUS.OK);
          }
          if (name === 'fsync@openssh.com') {
            const h = handleOf(r);
            if (!h || h.kind !== 'file') return status(id, STATUS.FAILURE, 'Invalid handle');
            await new Promise((res, rej) => fs.fsync(h.fd, (e) => (e ? rej(e) : res(undefined))));
            return status(id, STATUS.OK);
          }
          return status(id, STATUS.OP_UNSUPPORTED);
        }
        default:
          return status(id, STATUS.OP_UNSUPPORTED);
      }
    } catch (err) {
      if (err instanceof RangeError) return status(id, STATUS.BAD_MESSAGE);
      return fail(id, err);
    }
  }

  channel.on('data', (/** @type {Buffer} */ chunk) => {
    inbuf = inbuf.length === 0 ? chunk : Buffer.concat([inbuf, chunk]);
    while (inbuf.length >= 4) {
      const len = inbuf.readUInt32BE(0);
      if (len > MAX_PACKET || len === 0) {
        opts.log?.(`sftp: bad packet length ${len}, closing the subsystem`);
        inbuf = Buffer.alloc(0);
        channel.close();
        return;
      }
      if (inbuf.length < 4 + len) break;
      const pkt = inbuf.subarray(4, 4 + len);
      inbuf = inbuf.subarray(4 + len);
      // One request at a time, in arrival order, as sftp-server does.
      queue = queue.then(() => handle(pkt)).catch((err) => opts.log?.(`sftp: ${err && err.message}`));
    }
  });
  channel.on('end', () => channel.end());
  channel.on('close', () => {
    closed = true;
    // Open files are closed with the session, as when sftp-server exits.
    queue = queue.then(() => {
      for (const h of handles.values()) if (h.kind === 'file') fs.close(h.fd, () => {});
      handles.clear();
    });
  });
}

module.exports = { serveSftp };
