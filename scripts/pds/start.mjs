// A real Bluesky PDS (and PLC directory) on this machine, for tests and trying things out.
//
//   node start.mjs [--port N] [--data DIR] [--accounts alice,bob]
//
// Run it with the Node 22 that scripts/pds/install put into the cache (scripts/pds/run
// does). It prints ONE JSON line on stdout once the PDS answers:
//   {"service": "http://localhost:N", "plc": "...", "accounts": [{"handle", "did",
//    "password", "appPassword"}]}
// and stays up until it gets SIGTERM or SIGINT. Everything it stores lives under --data
// (a fresh temporary folder by default), removed when it stops.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    data: { type: 'string' },
    accounts: { type: 'string', default: 'alice,bob' },
  },
})

const cache = process.env.SOCIAL_PDS_CACHE || path.join(os.homedir(), '.cache', 'social-pds')
const require = createRequire(path.join(cache, 'package.json'))
const { TestNetworkNoAppView } = await import(pathToFileURL(require.resolve('@atproto/dev-env')).href)

const data = values.data || mkdtempSync(path.join(os.tmpdir(), 'social-pds-'))
// Without a port, dev-env picks a free one (the key must then be absent, not undefined).
const port = Number(values.port) ? { port: Number(values.port) } : {}
mkdirSync(path.join(data, 'pds'), { recursive: true })

const network = await TestNetworkNoAppView.create({
  pds: {
    ...port,
    dataDirectory: path.join(data, 'pds'),
    blobstoreDiskLocation: path.join(data, 'blobs'),
  },
})

let stopping = false
async function stop() {
  if (stopping) return
  stopping = true
  try {
    await network.close()
  } finally {
    rmSync(data, { recursive: true, force: true })
    process.exit(0)
  }
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)

const seed = network.getSeedClient()
const accounts = []
for (const name of values.accounts.split(',').filter(Boolean)) {
  const handle = `${name}.test`
  const password = `${name}-account-password`
  const account = await seed.createAccount(name, { handle, email: `${name}@example.com`, password })
  // Publishing uses an app password, as a real channel would.
  const { data: app } = await seed.agent.com.atproto.server.createAppPassword(
    { name: 'social' },
    { encoding: 'application/json', headers: { authorization: `Bearer ${account.accessJwt}` } },
  )
  accounts.push({ handle, did: account.did, password, appPassword: app.password })
}

process.stdout.write(JSON.stringify({ service: network.pds.url, plc: network.plc.url, accounts }) + '\n')
