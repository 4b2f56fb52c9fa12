// The status page's style sheet and its one script (with the hash its
// Content-Security-Policy allows), apart from the rendering.

import { createHash } from "node:crypto";

/** The page's CSS (inline: the page loads nothing). */
export const CSS = `
*{box-sizing:border-box}
body{margin:0;font:13px/1.35 system-ui,"DejaVu Sans",sans-serif;color:#1a1a1a;background:#fff}
header{padding:10px 16px;border-bottom:1px solid #ccc;background:#f7f7f9}
h1{font-size:18px;margin:0 0 4px}h2{font-size:15px;margin:18px 16px 6px}
.meta{color:#555}.meta code{color:#1a1a1a}
#live{margin:6px 0 2px;font-weight:600}#live.final{color:#124a1f}#live.following{color:#5a4200}
#live progress{vertical-align:middle;width:220px;margin-left:6px}
.totals{display:flex;flex-wrap:wrap;gap:6px;margin:8px 0 4px;padding:0;list-style:none}
.totals li{padding:2px 8px;border-radius:10px;border:1px solid #bbb}
.totals li.g{font-weight:600}.totals .n{font-variant-numeric:tabular-nums}
.filters{display:flex;gap:6px;align-items:center;margin-top:6px;flex-wrap:wrap}
.filters button{font:inherit;padding:3px 10px;border:1px solid #888;border-radius:4px;background:#fff;cursor:pointer}
.filters button[aria-pressed=true]{background:#1a1a1a;color:#fff;border-color:#1a1a1a}
#shown{margin-left:8px;color:#333}
.wrap{padding:0 16px}
table{border-collapse:separate;border-spacing:0}
#grid th,#grid td{border-right:1px solid #fff;border-bottom:1px solid #fff;padding:1px 6px;white-space:nowrap}
#grid thead th{position:sticky;top:0;z-index:2;background:#33373d;color:#fff;text-align:left;font-weight:600;vertical-align:bottom;padding:4px 6px}
#grid thead .pt{font-weight:normal;font-size:11px;color:#d8d8dc;font-variant-numeric:tabular-nums}
.bar{display:flex;height:8px;width:120px;margin:3px 0 2px;background:#e4e4e4;border-radius:2px;overflow:hidden}
.bar i{display:block;height:100%}
.bar .s-completed{background:#3c9a54}.bar .s-failed{background:#c0392b}.bar .s-running{background:#f0b400}
.bar .s-waiting{background:#9db7e0}.bar .s-stale{background:#8e44ad}.bar .s-cancelled{background:#95a5a6}.bar .s-missing{background:#c9c9c9}
#grid tbody th{position:sticky;left:0;z-index:1;background:#f2f2f4;text-align:left;font-weight:normal;max-width:320px;overflow:hidden;text-overflow:ellipsis}
#grid thead th:first-child{left:0;z-index:3}
#grid .k{font-variant-numeric:tabular-nums;font-weight:600;margin-right:2px}
#grid td{min-width:84px}#grid td a{color:inherit;text-decoration:none;display:block}
#grid td a:hover{text-decoration:underline}
.s-completed{background:#d4ecd9;color:#124a1f}
.s-running{background:#fde68a;color:#5a4200}
.s-failed{background:#c0392b;color:#fff;font-weight:600}
.s-stale{background:#8e44ad;color:#fff;font-weight:600}
.s-cancelled{background:#bdc3c7;color:#222}
.s-missing,.s-none{background:#e4e4e4;color:#666}
.s-waiting{background:#eef3fb;color:#2a4a7a}
.filters button.g{font-weight:600}.filters .n{font-variant-numeric:tabular-nums}
.f-failed #grid tbody tr:not(.has-failed),.f-running #grid tbody tr:not(.has-running),
.f-stale #grid tbody tr:not(.has-stale),.f-cancelled #grid tbody tr:not(.has-cancelled),
.f-missing #grid tbody tr:not(.has-missing),.f-waiting #grid tbody tr:not(.has-waiting){display:none}
#failed .why{max-width:560px;white-space:normal}
#failed td,#failed th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
#failed ul{margin:0;padding-left:16px}.none{color:#555;margin:0 16px}
`;

/** The page's script: the filter buttons (and `#failed`-style links). */
export const JS = `
(function(){var b=document.body,s=document.getElementById("shown"),m=b.dataset.reports;
function set(f){var btns=document.querySelectorAll("[data-f]");for(var i=0;i<btns.length;i++){
var x=btns[i],on=x.dataset.f===f;x.setAttribute("aria-pressed",on?"true":"false");
if(on)s.textContent=x.dataset.n+" of "+m+" reports shown";}
b.className=f==="all"?"":"f-"+f;}
document.querySelector(".filters").addEventListener("click",function(e){
var t=e.target.closest("[data-f]");if(t){set(t.dataset.f);try{history.replaceState(null,"","#"+t.dataset.f);}catch(_){}}});
var h=location.hash.slice(1);if(document.querySelector('[data-f="'+h+'"]'))set(h);
var ts=document.querySelectorAll("time[datetime]");for(var j=0;j<ts.length;j++){
var d=new Date(ts[j].getAttribute("datetime"));if(!isNaN(d.getTime()))ts[j].textContent=d.toLocaleString();}})();
`;

/** The script's hash for the Content-Security-Policy. */
export const SCRIPT_HASH: string = createHash("sha256").update(JS).digest(
  "base64",
);
