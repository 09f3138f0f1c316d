// Runs the http-tests cache-tests suite (npm `http-cache-tests`, pinned in tests/cache-tests/) against
// a caching proxy that is already running in front of the suite's own origin server, writes the
// raw results as JSON, prints a score table per suite and exits non-zero when a required test of
// the security subset does not pass. Started by `scripts/cache-tests`, which starts the origin
// and the proxy; usable alone:
//
//   node tests/cache-tests/run.mjs --base=http://127.0.0.1:8080 [--out=results.json]
//        [--name=mizan-edge] [--id=test-id]
//
// `--id` runs one test and prints the requests and responses as the suite's CLI does.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const suiteDir = path.join(here, 'node_modules', 'http-cache-tests')

// The suites whose required tests guard against serving a response to someone it was not meant
// for, or serving it after it changed: a failure there is a security or correctness bug in the
// proxy, not a missed optimisation.
export const SECURITY_SUITES = ['cc-response', 'vary', 'vary-parse', 'auth', 'invalidation']

function parseArgs (argv) {
  const args = { base: '', out: '', name: 'proxy', id: '' }
  for (const arg of argv) {
    const m = /^--([a-z]+)=(.*)$/.exec(arg)
    if (!m || !(m[1] in args)) {
      console.error(`unknown argument ${arg}`)
      process.exit(2)
    }
    args[m[1]] = m[2]
  }
  if (!args.base) {
    console.error('usage: node tests/cache-tests/run.mjs --base=http://HOST:PORT [--out=FILE] [--name=NAME] [--id=TEST]')
    process.exit(2)
  }
  args.base = args.base.replace(/\/+$/, '')
  return args
}

// The outcome of one test as the suite's own display code classifies it (lib/display.mjs).
function classify (display, suites, id, results, honorDependencies = true) {
  const symbol = display.determineTestResult(suites, id, results, honorDependencies)[2]
  return {
    '✅': 'pass',
    '⛔️': 'fail',
    '⚠️': 'optional',
    Y: 'yes',
    N: 'no',
    '🔹': 'setup',
    '⁉️': 'harness',
    '⚪️': 'dependency',
    '↻': 'retry',
    '-': 'untested'
  }[symbol] ?? 'unknown'
}

async function main () {
  const args = parseArgs(process.argv.slice(2))
  if (!fs.existsSync(suiteDir)) {
    console.error('tests/cache-tests/node_modules/http-cache-tests is missing: scripts/cache-tests installs it')
    process.exit(2)
  }
  const { runTests, getResults } = await import(path.join(suiteDir, 'client/runner.mjs'))
  const display = await import(path.join(suiteDir, 'lib/display.mjs'))
  // The suite's own dependency (node-fetch 2), as its CLI uses.
  const { default: fetch } = await import('node-fetch')
  const { default: allSuites } = await import(path.join(suiteDir, 'tests/index.mjs'))
  const { default: surrogate } = await import(path.join(suiteDir, 'tests/surrogate-control.mjs'))
  // The suite's CLI runs Surrogate-Control too.
  const suites = [...allSuites, surrogate]

  let toRun = suites
  if (args.id) {
    toRun = []
    for (const suite of suites) {
      for (const test of suite.tests) {
        if (test.id === args.id) {
          test.dump = true
          toRun.push({ ...suite, tests: [test] })
        }
      }
    }
    if (toRun.length === 0) {
      console.error(`no test ${args.id}`)
      process.exit(2)
    }
  }

  await runTests(toRun, fetch, false, args.base)
  const results = getResults()
  if (args.out) fs.writeFileSync(args.out, JSON.stringify(results, null, 2) + '\n')

  if (args.id) {
    const kind = classify(display, suites, args.id, results, false)
    console.log(`${args.id}: ${kind} ${JSON.stringify(results[args.id])}`)
    process.exit(kind === 'pass' || kind === 'yes' ? 0 : 1)
  }

  const kinds = ['pass', 'fail', 'optional', 'yes', 'no', 'setup', 'harness', 'dependency', 'retry']
  const rows = []
  const total = Object.fromEntries(kinds.map(k => [k, 0]))
  const securityFailures = []
  const failures = []
  for (const suite of suites) {
    const row = Object.fromEntries(kinds.map(k => [k, 0]))
    for (const test of suite.tests) {
      if (test.browser_only === true) continue
      let kind = classify(display, suites, test.id, results)
      // `check` tests gather information (Y/N): they are never graded, whatever their
      // dependencies did.
      if (test.kind === 'check' && !['yes', 'no'].includes(kind)) kind = 'no'
      if (!(kind in row)) continue
      row[kind]++
      total[kind]++
      // A required test that fails (⛔️) is a conformance failure. Setup, harness and retry
      // results (🔹 ⁉️ ↻) mean the test could not be judged: the cache did not store what the
      // test needs, or asked the origin twice; they are listed, not counted as failures.
      if (['fail', 'setup', 'harness', 'retry'].includes(kind)) {
        const entry = { suite: suite.id, id: test.id, kind, name: test.name, detail: results[test.id] }
        failures.push(entry)
        if (kind === 'fail' && SECURITY_SUITES.includes(suite.id)) securityFailures.push(entry)
      }
    }
    rows.push([suite.id, row])
  }

  const name = args.name
  console.log(`\nhttp-cache-tests 0.4.5 against ${name} (${args.base})\n`)
  console.log('| suite | pass | fail | optional ⚠️ | check Y/N | setup/harness/retry | dependency ⚪️ |')
  console.log('|---|---:|---:|---:|---:|---:|---:|')
  for (const [id, r] of rows) {
    const mark = SECURITY_SUITES.includes(id) ? ' (security)' : ''
    console.log(`| ${id}${mark} | ${r.pass} | ${r.fail} | ${r.optional} | ${r.yes}/${r.no} | ${r.setup + r.harness + r.retry} | ${r.dependency} |`)
  }
  const scored = total.pass + total.fail + total.optional + total.setup + total.harness + total.retry + total.dependency
  console.log(`| **total** | ${total.pass} | ${total.fail} | ${total.optional} | ${total.yes}/${total.no} | ${total.setup + total.harness + total.retry} | ${total.dependency} |`)
  console.log(`\nscore: ${total.pass} of ${scored} graded tests pass (${(100 * total.pass / scored).toFixed(1)} %); ` +
    `${total.fail} required failures, ${total.optional} optimisations missed, ${total.dependency} not run (dependency)`)
  if (failures.length) {
    console.log('\nrequired failures (fail) and tests that could not be judged (setup, harness, retry); !! = security subset:')
    for (const f of failures) {
      const detail = Array.isArray(f.detail) ? f.detail.join(': ') : JSON.stringify(f.detail)
      console.log(`  ${SECURITY_SUITES.includes(f.suite) ? '!!' : '  '} ${f.suite} ${f.id} [${f.kind}] ${detail}`)
    }
  }
  if (securityFailures.length) {
    console.log(`\nFAIL: ${securityFailures.length} required test(s) of the security subset (${SECURITY_SUITES.join(', ')}) fail: ${securityFailures.map(f => f.id).join(', ')}`)
    process.exit(1)
  }
  const unjudged = failures.filter(f => SECURITY_SUITES.includes(f.suite)).length
  console.log(`\nsecurity subset (${SECURITY_SUITES.join(', ')}): no required test fails` +
    (unjudged ? ` (${unjudged} could not be judged, listed above)` : ''))
}

main().catch(err => {
  console.error(err)
  process.exit(2)
})
