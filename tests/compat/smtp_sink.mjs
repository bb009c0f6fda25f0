// Test stand-in shared by the compat tests.
import { createServer } from 'node:net';

// The outside world's mail server, as a stand-in on 127.0.0.1: enough SMTP
// (RFC 5321) for libcurl to deliver; each message's text is queued.
export function startSmtpSink() {
  const mails = [];
  const waiters = [];
  const server = createServer((sock) => {
    let buf = '', inData = false, data = '';
    sock.write('220 sink ESMTP\r\n');
    sock.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            mails.push(data);
            data = '';
            while (waiters.length && mails.length) waiters.shift()(mails.shift());
            sock.write('250 queued\r\n');
          } else data += line + '\n';
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') sock.write('250 sink\r\n');
        else if (verb === 'DATA') { inData = true; sock.write('354 go ahead\r\n'); }
        else if (verb === 'QUIT') { sock.end('221 bye\r\n'); }
        else sock.write('250 ok\r\n');
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: server.address().port,
    close: () => server.close(),
    next: () => (mails.length ? Promise.resolve(mails.shift()) : new Promise((r) => waiters.push(r))),
  })));
}
