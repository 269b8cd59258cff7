#!/bin/sh
# make stress-timing: every timing-sensitive test (sleeps, timeouts,
# deadlines, bounds on a duration, requests in flight) COUNT times in a row
# (default 10) while LOAD busy loops (default twice the cores) keep every
# core busy, as stress --cpu does. A test that fails here would fail on a
# busy CI machine: fix it by asserting an order or a bound that holds under
# load, never by a longer sleep. Exits non-zero on the first failing run.
#
#   COUNT=10 LOAD=4 sh tools/stress-timing.sh
#
# The tests, by package (keep in step with the tests: a test that sleeps,
# waits on a timer or asserts a duration belongs here):
#   suites     concurrency: verdicts at 16 in flight equal the serial run's
#              (also under -race, as make test runs it), the in-flight bound,
#              cases taken as workers free
#   probe      header and body timeouts, the caller's deadline, cancellation,
#              the redactor's linear time
#   reference  latency and the gateway timeout
#   config     the size cap's read is bounded in time
#   runner     end to end through the binary: deadlines, cut-short runs, the
#              preflight's stop, monitor, push and listener bounds, hostile
#              targets (hang, slow-drip), serve then run, the rate cap, a
#              run against the reference whose slow model answers late
set -eu
cd "$(dirname "$0")/.."
count=${COUNT:-10}
cores=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)
load=${LOAD:-$((cores * 2))}
timeout=${STRESS_TIMEOUT:-90m}
go=${GO:-go}

pids=
stop_load() {
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
}
trap stop_load EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
i=0
while [ "$i" -lt "$load" ]; do
  sh -c 'while :; do :; done' &
  pids="$pids $!"
  i=$((i + 1))
done
echo "stress-timing: $load busy loops on $cores cores; each test $count times in a row"

start=$(date +%s)
run() {
  echo "stress-timing: $*"
  "$go" test -count="$count" -failfast -timeout "$timeout" "$@"
}
run -race -run '^(TestConcurrentVerdictsEqualSerial|TestExecuteAllBoundsRequestsInFlight|TestExecuteSeqTakesCasesAsWorkersFree)$' ./suites
run -run '^(TestDoTimeoutBeforeHeaders|TestDoTimeoutMidBody|TestDoTimeoutFromCallerContext|TestDoRunCancelledWithCauseIsCancelled|TestRedactorStringIsLinear)$' ./probe
run -run '^(TestLatency|TestGatewayTimeout)$' ./reference
run -run '^TestFilesAreReadWithASizeCap$' ./config
run -run '^(TestDeadlineBoundsTheWholeRun|TestCutShortRunsReportEverySelectedCase|TestBrokenSetupStopsAfterTheControls|TestFleetReportsWithinTheDeadline|TestMonitorListenerIsBounded|TestPushIsInsideTheDeadline|TestMonitorServesTheLatestRunOfEachTarget|TestUnsafeSettingsAreRefusedBeforeSending|TestDiffRefusesInvalidReports|TestServeThenRunWritesOneJUnitTestcasePerCase|TestHostileDeadlineNeverPasses|TestHostileTargets|TestRateCapHolds|TestSummaryGroupsFailuresByCause)$' ./runner
echo "stress-timing: passed, $count runs each under load, in $(($(date +%s) - start)) s"
