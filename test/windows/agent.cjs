// A minimal ssh-agent on a Windows named pipe, run by node.exe in the Windows stage: it
// holds one private key, answers identity and sign requests with ssh2's AgentProtocol
// (server side), and notes each request on stdout. It stands in for the OpenSSH for
// Windows agent service, which Wine cannot run, to prove the client's pipe path end to end.
//
//   node.exe agent.cjs <pipe> <private key file>     (stops by itself after 10 minutes)
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const { AgentProtocol, utils } = require('ssh2');

const [pipe, keyFile] = process.argv.slice(2);
const key = utils.parseKey(fs.readFileSync(keyFile));
if (key instanceof Error) throw key;
const note = (line) => fs.writeSync(1, `${line}\n`);

const server = net.createServer((socket) => {
  const protocol = new AgentProtocol(false);
  protocol.on('identities', (req) => {
    note('identities');
    protocol.getIdentitiesReply(req, [key]);
  });
  protocol.on('sign', (req, pubKey, data) => {
    note('sign');
    protocol.signReply(req, key.sign(data));
  });
  socket.on('error', () => socket.destroy());
  socket.pipe(protocol).pipe(socket);
});
server.listen(pipe, () => note(`listening ${pipe}`));
setTimeout(() => process.exit(0), 600_000).unref();
setInterval(() => {}, 60_000).unref();
server.ref();
