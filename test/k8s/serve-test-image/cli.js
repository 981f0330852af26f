// A stand-in for `slipway serve` in test images: the same command line and the same Open
// Inference Protocol v2 health endpoints, answering infer with the model's version. Lets the
// deploy tests build, roll out and roll back images without the real runtime.
// model.json may say {"crash": true}: the server exits at once (a crash loop in Kubernetes).
'use strict';
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
if (args[0] !== 'serve') {
  console.error('usage: cli.js serve --model DIR --host H --port P');
  process.exit(2);
}
const dir = opt('--model', '/models/model');
const meta = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
if (meta.crash) {
  console.error('stand-in server: model.json asks for a crash');
  process.exit(3);
}
const name = opt('--name', process.env.SLIPWAY_MODEL_NAME || 'model');
// the version baked into the image wins: a rollback test sees which image runs
const version = String(meta.version ?? process.env.SLIPWAY_MODEL_VERSION ?? '1');
const send = (res, code, body) => {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
// as PID 1 in a container Node gets no default SIGTERM handler: without this, every pod
// replacement waits out the 30 s grace period
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
const server = http
  .createServer((req, res) => {
    if (req.url === '/v2/health/live' || req.url === '/v2/health/ready') return send(res, 200, { live: true, ready: true });
    // the signature the Try panel reads: any request body is echoed by its length
    if (req.url === `/v2/models/${name}`) {
      return send(res, 200, { name, versions: [version], platform: 'stand-in', inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 9] }], outputs: [{ name: 'echo', datatype: 'BYTES', shape: [-1] }] });
    }
    if (req.method === 'POST' && req.url === `/v2/models/${name}/infer`) {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => send(res, 200, { model_name: name, model_version: version, outputs: [{ name: 'echo', datatype: 'BYTES', shape: [1], data: [body.length] }] }));
      return undefined;
    }
    return send(res, 404, { error: `no route ${req.method} ${req.url}` });
  })
  .listen(Number(opt('--port', '8080')), opt('--host', '0.0.0.0'), () => console.log(`stand-in serving ${name} version ${version}`));
