// Performance traces of the page's main thread, for the benchmarks (bench-step.mjs,
// bench-ab.mjs): what a step costs the main thread, split into script, style and layout,
// and paint.

/** Events the browser names for style and layout, and for paint (to the commit). */
export const STYLE_LAYOUT = ['UpdateLayoutTree', 'Layout'];
export const PAINT = ['PrePaint', 'Paint', 'Layerize', 'Commit'];

/** The main thread's complete events while `work` runs: the thread where `marker` ran. */
export async function traced(cdp, work, marker) {
  const events = [];
  const collect = (e) => events.push(...e.value);
  cdp.on('Tracing.dataCollected', collect);
  const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
  const categories = 'devtools.timeline,disabled-by-default-devtools.timeline,blink,navigation';
  await cdp.send('Tracing.start', { categories, transferMode: 'ReportEvents' });
  await work();
  await cdp.send('Tracing.end');
  await done;
  cdp.off('Tracing.dataCollected', collect);
  const at = events.find(marker);
  if (!at) throw new Error('the trace has no event of the work');
  return events.filter((e) => e.pid === at.pid && e.tid === at.tid && e.ph === 'X' && e.dur);
}

/** Milliseconds covered by the events named `names` (nested ones counted once), per `n`. */
export function sum(events, names, n) {
  const picked = events.filter((e) => names.includes(e.name)).sort((a, b) => a.ts - b.ts);
  let [total, end] = [0, 0];
  for (const e of picked) {
    const [from, to] = [Math.max(e.ts, end), e.ts + e.dur];
    if (to > from) total += to - from;
    end = Math.max(end, to);
  }
  return total / 1000 / n;
}

/**
 * The main thread's work a step, from a trace of `n` steps (→ ten times, ← ten times, ...)
 * dispatched in the page, each in a task of its own as a real key press is, three frames
 * apart: all of it (`busy`), style and layout, paint; `script` is the rest.
 */
export async function stepWork(page, cdp, n = 20) {
  const events = await traced(
    cdp,
    () =>
      page.evaluate(async (n) => {
        const frame = () => new Promise((r) => requestAnimationFrame(r));
        for (let i = 0; i < n; i++) {
          const key = i % 20 < 10 ? 'ArrowRight' : 'ArrowLeft';
          await new Promise((r) => setTimeout(r, 0));
          document.body.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
          for (let f = 0; f < 3; f++) await frame();
        }
      }, n),
    (e) => e.name === 'EventDispatch' && e.args?.data?.type === 'keydown',
  );
  const [busy, style, paint] = [sum(events, ['RunTask'], n), sum(events, STYLE_LAYOUT, n), sum(events, PAINT, n)];
  return { busy, style, paint, script: busy - style - paint };
}
