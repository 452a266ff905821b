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
  const categories = 'devtools.timeline,disabled-by-default-devtools.timeline,blink,navigation,blink.user_timing';
  await cdp.send('Tracing.start', { categories, transferMode: 'ReportEvents' });
  try {
    await work();
  } finally {
    await cdp.send('Tracing.end');
    await done;
    cdp.off('Tracing.dataCollected', collect);
  }
  const at = events.find(marker);
  if (!at) throw new Error('the trace has no event of the work');
  const main = events.filter((e) => e.pid === at.pid && e.tid === at.tid && e.ph === 'X' && e.dur);
  // performance.mark() in the page: named moments, in the trace's clock.
  main.marks = events.filter((e) => e.cat?.includes('blink.user_timing') && e.pid === at.pid);
  return main;
}

/**
 * Milliseconds covered by the events named `names` (nested ones counted once), per `n`;
 * only within `windows` ([from, to] in the trace's microseconds) when given.
 */
export function sum(events, names, n, windows = [[-Infinity, Infinity]]) {
  const picked = events.filter((e) => names.includes(e.name)).sort((a, b) => a.ts - b.ts);
  let total = 0;
  for (const [start, stop] of windows) {
    let end = start;
    for (const e of picked) {
      const [from, to] = [Math.max(e.ts, end), Math.min(e.ts + e.dur, stop)];
      if (to > from) total += to - from;
      end = Math.max(end, Math.min(e.ts + e.dur, stop));
    }
  }
  return total / 1000 / n;
}

/**
 * The main thread's work a step, from a trace of `n` steps (→ ten times, ← ten times, ...)
 * dispatched in the page, each in a task of its own as a real key press is, three frames
 * apart: all of it (`busy`), style and layout, paint; `script` is the rest (our script
 * mostly, and garbage collection and the browser's small tasks). Counted from the key press
 * to the end of the second frame after it (the frame that shows the step, and the one
 * after, where a late animation-frame callback would land): not what the app does later
 * (the address 150 ms after the last step, the saved progress 400 ms after), which would
 * come between steps only on a slow machine.
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
          performance.mark('step-start');
          document.body.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
          for (let f = 0; f < 2; f++) await frame();
          // In a task after the frame's own: its style, layout and paint are done.
          await new Promise((r) => setTimeout(r, 0));
          performance.mark('step-end');
          await frame();
        }
      }, n),
    (e) => e.name === 'EventDispatch' && e.args?.data?.type === 'keydown',
  );
  const at = (name) => events.marks.filter((e) => e.name === name).map((e) => e.ts).sort((a, b) => a - b);
  const [starts, ends] = [at('step-start'), at('step-end')];
  if (starts.length !== n || ends.length !== n) throw new Error(`${starts.length} step marks in the trace, not ${n}`);
  const windows = starts.map((s, i) => [s, ends[i]]);
  const [busy, style, paint] = [['RunTask'], STYLE_LAYOUT, PAINT].map((names) => sum(events, names, n, windows));
  return { busy, style, paint, script: busy - style - paint };
}
