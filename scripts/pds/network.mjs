// A whole local Bluesky network on this machine: PLC directory, PDS and the bsky AppView
// (with bsync and ozone), for the reads a PDS alone cannot answer (notifications).
//
//   DB_POSTGRES_URL=postgresql://... REDIS_HOST=unused node network.mjs [--schema NAME] [--accounts alice,bob]
//
// Needs a PostgreSQL database (tests/pds.py starts a private one); REDIS_HOST must be set,
// nothing connects to it. Run it with the Node 22 that scripts/pds/install put into the
// cache. It prints ONE JSON line on stdout once everything answers:
//   {"service": PDS URL, "appview": AppView URL, "plc": ..., "accounts": [{"handle", "did",
//    "password", "appPassword"}]}
// and stays up until it gets SIGTERM or SIGINT. The PDS reads app.bsky.* for its users from
// the AppView (its proxy), as bsky.social does.
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'

const { values } = parseArgs({
  options: {
    // letters and underscores only: bsync fails on a schema name with digits
    schema: { type: 'string', default: 'social_test' },
    accounts: { type: 'string', default: 'alice,bob' },
  },
})

const cache = process.env.SOCIAL_PDS_CACHE || path.join(os.homedir(), '.cache', 'social-pds')
const require = createRequire(path.join(cache, 'package.json'))
const { TestNetwork } = await import(pathToFileURL(require.resolve('@atproto/dev-env')).href)

const network = await TestNetwork.create({ dbPostgresSchema: values.schema })

let stopping = false
async function stop() {
  if (stopping) return
  stopping = true
  try {
    await network.close()
  } finally {
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
  const { data: app } = await seed.agent.com.atproto.server.createAppPassword(
    { name: 'social' },
    { encoding: 'application/json', headers: { authorization: `Bearer ${account.accessJwt}` } },
  )
  accounts.push({ handle, did: account.did, password, appPassword: app.password })
}
await network.processAll()

process.stdout.write(
  JSON.stringify({ service: network.pds.url, appview: network.bsky.url, plc: network.plc.url, accounts }) + '\n',
)
