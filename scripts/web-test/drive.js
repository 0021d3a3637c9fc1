// Drives the pages of `mergelab lab serve` in headless Chromium (Debian's chromium, through playwright-core: no
// browser download) and prints, as one JSON document on stdout, what each page rendered: table rows in order,
// the order after clicking a score column, the lineage DAG's nodes and edges, the plots' points, the Pareto front.
// The JUnit test (LabServeBrowserTest) fills the lab, starts the server, runs this and asserts on the report.
//
// usage: node drive.js PLAN.json
//   PLAN: {"base": "http://127.0.0.1:PORT", "chromium": "/usr/bin/chromium", "screenshots": DIR or null,
//          "candidate": ID, "compare": [ID, ID], "interference": [ID, ...], "search": ID,
//          "sort": {"task": T, "metric": M}, "kind": KIND}
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

async function main() {
  const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const browser = await chromium.launch({
    executablePath: plan.chromium,
    // The tests run as root in containers, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-gpu', '--font-render-hinting=none'],
  });
  const report = { problems: [] };
  try {
    const page = await browser.newPage({ viewport: { width: 1180, height: 820 } });
    page.on('console', m => { if (m.type() === 'error') report.problems.push('console: ' + m.text()); });
    page.on('pageerror', e => report.problems.push('page error: ' + e.message));
    page.on('requestfailed', r => report.problems.push('request failed: ' + r.url()));
    page.on('response', r => { if (r.status() >= 400) report.problems.push(r.status() + ' ' + r.url()); });
    const shot = async name => {
      if (plan.screenshots) {
        await page.screenshot({ path: path.join(plan.screenshots, name + '.png') });
      }
    };
    const rows = () => page.$$eval('#candidates tbody tr', trs => trs.map(tr => ({
      id: tr.dataset.id,
      kind: tr.dataset.kind,
      scores: Array.from(tr.querySelectorAll('td.score')).map(td => td.dataset.value === undefined ? null : Number(td.dataset.value)),
    })));

    // The candidates table, then sorted by clicking a score column's header, then reversed by a second click.
    await page.goto(plan.base + '/');
    report.title = await page.title();
    report.columns = await page.$$eval('#candidates thead th.score', ths => ths.map(th => th.dataset.task + ' ' + th.dataset.metric));
    report.initial = await rows();
    const header = `#candidates thead th.score[data-task="${plan.sort.task}"][data-metric="${plan.sort.metric}"] a`;
    await Promise.all([page.waitForURL(/sort=/), page.click(header)]);
    report.sorted = await rows();
    report.sortedHeader = await page.$eval('#candidates thead th.sorted', th => th.textContent);
    await shot('candidates');
    await Promise.all([page.waitForURL(/reverse=1/), page.click(header)]);
    report.reversed = await rows();
    await Promise.all([page.waitForURL(/kind=/), page.click(`a.kind:text-is("${plan.kind}")`)]);
    report.filtered = await rows();

    // A candidate's page: the lineage DAG, its scores, runs and model card.
    await page.goto(plan.base + '/candidates/' + plan.candidate);
    report.candidate = {
      heading: await page.textContent('h1'),
      nodes: await page.$$eval('svg#lineage g.node', gs => gs.map(g => {
        const r = g.querySelector('rect');
        return {
          id: g.dataset.id, kind: g.dataset.kind, focus: g.classList.contains('focus'),
          x: Number(r.getAttribute('x')), y: Number(r.getAttribute('y')),
          texts: Array.from(g.querySelectorAll('text')).map(t => t.textContent),
          link: g.parentElement.getAttribute('href'),
        };
      })),
      edges: await page.$$eval('svg#lineage g.edge', gs => gs.map(g => ({
        from: g.dataset.from, to: g.dataset.to,
        label: g.ownerSVGElement.querySelector(`text.label[data-from="${g.dataset.from}"][data-to="${g.dataset.to}"]`).textContent,
        points: g.querySelector('polyline').getAttribute('points').trim().split(/\s+/).length,
      }))),
      scores: await page.$$eval('#scores tbody tr', trs => trs.map(tr => Array.from(tr.cells).slice(0, 3).map(td => td.textContent))),
      recipes: await page.$$eval('pre.recipe', ps => ps.map(p => p.textContent)),
      modelCard: await page.$$eval('pre.model-card', ps => ps.map(p => p.textContent)),
      markupElements: await page.$$eval('main i', es => es.length),
      bodyText: await page.textContent('main'),
    };
    await shot('candidate');

    // Two candidates compared.
    await page.goto(`${plan.base}/compare?a=${plan.compare[0]}&b=${plan.compare[1]}`);
    report.compare = {
      scores: await page.$$eval('#compare-scores tbody tr', trs => trs.map(tr => Array.from(tr.cells).map(td => td.textContent))),
      layers: await page.$$eval('#task-vectors tbody tr', trs => trs.map(tr => tr.cells[0].textContent)),
      chartPoints: await page.$$eval('#cosine-chart circle, #conflict-chart circle', cs => cs.length),
      error: await page.$$eval('#task-vector-error', ps => ps.map(p => p.textContent)),
    };
    await shot('compare');

    // The interference matrix, reached by ticking candidates on the table and submitting.
    await page.goto(plan.base + '/');
    for (const id of plan.interference) {
      await page.check(`#candidates input[value="${id}"]`);
    }
    await Promise.all([page.waitForURL(/interference\?/), page.click('button:text("Interference matrix of the ticked")')]);
    report.interference = {
      url: page.url(),
      columns: await page.$$eval('#interference thead th[data-id]', ths => ths.map(th => ({ id: th.dataset.id, parent: th.classList.contains('parent') }))),
      rows: await page.$$eval('#interference tbody tr', trs => trs.map(tr => ({
        task: tr.dataset.task,
        relative: Array.from(tr.querySelectorAll('td.num')).map(td => td.dataset.relative === undefined ? null : Number(td.dataset.relative)),
      }))),
    };
    await shot('interference');

    // The searches, and one search's progress and Pareto front.
    await page.goto(plan.base + '/searches');
    report.searches = await page.$$eval('#searches tbody tr', trs => trs.map(tr => tr.dataset.id));
    await shot('searches');
    await Promise.all([page.waitForURL(/\/searches\/[0-9a-f]+/), page.click(`#searches a[href="/searches/${plan.search}"]`)]);
    report.search = {
      progressPoints: await page.$$eval('#progress .evals circle', cs => cs.map(c => Number(c.dataset.step))),
      generationBest: await page.$$eval('#progress .generation-best circle', cs => cs.map(c => ({
        generation: Number(c.dataset.generation), cy: Number(c.getAttribute('cy')) }))),
      bestLinePoints: await page.$$eval('#progress polyline.best-so-far', ls => ls.map(l => l.getAttribute('points').trim().split(/\s+/).length)),
      paretoOthers: await page.$$eval('#pareto .evals circle', cs => cs.map(c => Number(c.dataset.step))),
      paretoFront: await page.$$eval('#pareto .front circle', cs => cs.map(c => Number(c.dataset.step))),
      frontRows: await page.$$eval('#evaluations tr.on-front', trs => trs.map(tr => Number(tr.dataset.step))),
    };
    await shot('search');
    if (plan.screenshots) {
      await page.locator('#pareto').screenshot({ path: path.join(plan.screenshots, 'pareto.png') });
    }

    // Unknown ids: a 404 with one line of text (the browser logs that failed load: expected, so not a problem).
    const before = report.problems.length;
    const missing = await page.goto(plan.base + '/candidates/ffffffffffff');
    report.missing = { status: missing.status(), text: (await page.textContent('body')).trim() };
    await page.waitForTimeout(200);
    report.problems = report.problems.slice(0, before);
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(report, null, 1) + '\n');
}

main().catch(e => {
  console.error('drive.js: ' + (e && e.stack || e));
  process.exit(1);
});
