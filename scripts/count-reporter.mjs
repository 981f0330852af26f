// node --test reporter that writes {passed, failed, skipped} as JSON: the summary line adds these up.
export default async function* countReporter(source) {
  const counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
  for await (const event of source) {
    // only leaf tests count; suites (which hold tests) report with details.type === 'suite'
    // a skipped suite never runs its tests: it counts as one skipped test
    if (event.type === 'test:pass' && event.data.details?.type === 'suite' && event.data.skip) counts.skipped++;
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.details?.type !== 'suite') {
      if (event.data.skip || event.data.todo) counts.skipped++;
      else if (event.type === 'test:pass') counts.passed++;
      else {
        counts.failed++;
        counts.failures.push(`${event.data.file ?? ''} ${event.data.name}`);
      }
    }
  }
  yield JSON.stringify(counts) + '\n';
}
