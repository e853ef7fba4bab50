/**
 * The dashboard's one stylesheet, inlined in every page (no external asset)
 * and allowed by its sha256 in the Content-Security-Policy.
 *
 * @module
 */

/** The CSS of every dashboard page. */
export const DASHBOARD_CSS = `
:root{--bg:#f5f6f8;--panel:#fff;--text:#1c2330;--muted:#5d6675;--line:#e2e6ec;--accent:#2f5fd0;
--good:#146c43;--good-bg:#e3f3ea;--bad:#b42318;--bad-bg:#fde9e7;--warn:#8a5300;--warn-bg:#fff3d6;
--info:#1d4ed8;--info-bg:#e4ecff;--neutral:#4b5563;--neutral-bg:#eceff3}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Ubuntu,"Noto Sans",sans-serif;
background:var(--bg);color:var(--text)}
a{color:var(--accent);text-decoration:none}
a:hover{text-decoration:underline}
header.top{background:#111827;color:#fff}
.top .inner{max-width:1240px;margin:0 auto;padding:10px 24px;display:flex;align-items:center;gap:18px}
.brand{font-weight:700;color:#fff;font-size:15px;letter-spacing:.2px;display:flex;align-items:center;gap:8px}
.brand .dot{width:10px;height:10px;border-radius:3px;background:#6ea0ff;display:inline-block}
.brand:hover{text-decoration:none}
nav{display:flex;gap:4px}
nav a{color:#cbd5e1;padding:6px 10px;border-radius:6px}
nav a:hover,nav a.active{color:#fff;background:#243042;text-decoration:none}
.spacer{flex:1}
.top form{margin:0}
button.quiet{background:none;border:1px solid #374151;color:#cbd5e1;padding:4px 10px;border-radius:6px;font:inherit;cursor:pointer}
button.quiet:hover{color:#fff;border-color:#6b7280}
main{max-width:1240px;margin:0 auto;padding:24px 24px 40px}
h1{font-size:22px;line-height:1.3;margin:0 0 4px;overflow-wrap:anywhere}
h2{font-size:15px;margin:28px 0 10px}
.sub{color:var(--muted);margin:0 0 18px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:12px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:14px 16px}
.card .label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.card .value{font-size:26px;font-weight:650;margin-top:2px;font-variant-numeric:tabular-nums}
.card .hint{color:var(--muted);font-size:12px}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:16px}
.panel>h2:first-child,.panel>h3:first-child{margin-top:0}
.table-wrap{border:1px solid var(--line);border-radius:10px;overflow:auto;background:var(--panel)}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:8px 12px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:11.5px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.05em;
background:#fafbfc;white-space:nowrap}
tbody tr:last-child td{border-bottom:0}
tbody tr:hover td{background:#fafcff}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.nowrap{white-space:nowrap}
.badge{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;font-weight:600;white-space:nowrap}
.badge.good{color:var(--good);background:var(--good-bg)}
.badge.bad{color:var(--bad);background:var(--bad-bg)}
.badge.warn{color:var(--warn);background:var(--warn-bg)}
.badge.info{color:var(--info);background:var(--info-bg)}
.badge.neutral{color:var(--neutral);background:var(--neutral-bg)}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
pre{background:#0f172a;color:#e2e8f0;padding:12px 14px;border-radius:8px;overflow:auto;max-height:520px;
white-space:pre-wrap;overflow-wrap:anywhere;margin:0}
pre.long{max-height:none}
.prose{white-space:pre-wrap;overflow-wrap:anywhere;margin:0}
.muted{color:var(--muted)}
.small{font-size:12px}
form.filters{display:flex;gap:10px;align-items:flex-end;flex-wrap:wrap;margin:0 0 12px}
label{font-size:12px;color:var(--muted);display:flex;flex-direction:column;gap:4px}
input,select{font:inherit;height:34px;padding:6px 10px;border:1px solid #c9d0da;border-radius:6px;background:#fff;color:var(--text)}
button.primary{font:inherit;height:34px;padding:6px 14px;border-radius:6px;background:var(--accent);color:#fff;
border:1px solid var(--accent);cursor:pointer}
.pager{display:flex;gap:12px;align-items:center;justify-content:space-between;margin-top:10px;color:var(--muted)}
.pager .links{display:flex;gap:12px}
dl.facts{display:grid;grid-template-columns:150px 1fr;gap:6px 16px;margin:0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;overflow-wrap:anywhere}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:16px;align-items:start}
@media (max-width:900px){.grid2{grid-template-columns:1fr}}
.links-row{display:flex;gap:14px;flex-wrap:wrap;margin:6px 0 0}
ul.plain{list-style:none;padding:0;margin:0}
ul.plain li{padding:3px 0}
ul.acc{list-style:none;padding:0;margin:0}
ul.acc li{padding:8px 0;border-bottom:1px dashed var(--line);display:grid;grid-template-columns:110px 1fr;gap:12px}
ul.acc li:last-child{border-bottom:0}
ul.acc .role{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em;padding-top:2px}
.who{font-weight:600}
details>summary{cursor:pointer;color:var(--accent);margin:4px 0}
.login{max-width:400px;margin:72px auto}
.login form{display:flex;flex-direction:column;gap:12px}
.notice{padding:8px 12px;border-radius:6px;margin:0 0 12px}
.notice.bad{color:var(--bad);background:var(--bad-bg)}
.notice.warn{color:var(--warn);background:var(--warn-bg)}
.notice.good{color:var(--good);background:var(--good-bg)}
.chart{display:block;max-width:100%;height:auto}
.empty{padding:18px;color:var(--muted);text-align:center}
footer{max-width:1240px;margin:0 auto;padding:0 24px 24px;color:var(--muted);font-size:12px}
pre.diff .add{color:var(--good);background:var(--good-bg);display:inline-block;min-width:100%}
pre.diff .del{color:var(--bad);background:var(--bad-bg);display:inline-block;min-width:100%}
pre.diff .hunk{color:var(--info)}
pre.diff .file,pre.diff .meta{color:var(--muted);font-weight:600}
form.inline{display:flex;gap:8px;align-items:center;margin:6px 0 0}
.attention-list li{padding:4px 0;border-bottom:1px solid var(--line)}
td.reason{min-width:220px;max-width:360px}
`;
