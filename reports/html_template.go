package reports

// The HTML report's page assets: its inline CSS and JavaScript, the
// Content-Security-Policy pinning them, and the page template.

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"strings"
)

// Page assets. They are template text, not data: the CSP hashes below are
// computed over exactly these bytes.

const htmlCSS = `
:root{--pass:#1a7f37;--pass-bg:#dafbe1;--fail:#b42318;--fail-bg:#ffe1dc;--err:#7a1010;--err-bg:#f6c9c4;
--warn:#9a6700;--warn-bg:#fff1c2;--skip:#57606a;--skip-bg:#eaeef2;--na:#f2f3f5;--line:#d0d7de;--ink:#1f2328;--muted:#59636e;
--errconform-css:1}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif;color:var(--ink);background:#f6f8fa}
main{max-width:1360px;margin:0 auto;padding:20px 24px 48px}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px}h3{font-size:15px;margin:20px 0 8px}
header.top{background:#fff;border:1px solid var(--line);border-left:6px solid var(--pass);border-radius:8px;padding:16px 20px}
header.top.failed{border-left-color:var(--fail)}
h1 .verdict{display:inline-block;padding:1px 10px;border-radius:6px;background:var(--pass-bg);color:var(--pass)}
header.top.failed h1 .verdict{background:var(--fail-bg);color:var(--fail)}
h1 .sub{font-weight:400;color:var(--muted);font-size:15px}
h2 .c{font-weight:400;color:var(--muted);font-size:12px}
ol.causes{padding-left:22px}ol.causes li{margin:4px 0;overflow-wrap:anywhere}
details.cause>summary{cursor:pointer}
details.cause .evidence,details.cause .cause-cases{margin:4px 0 4px 16px}
.scroll{overflow-x:auto;max-width:100%}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:10px 0 0;color:var(--muted)}
.meta dt{font-weight:600}.meta dd{margin:0;color:var(--ink);overflow-wrap:anywhere}
.tiles{display:flex;flex-wrap:wrap;gap:10px;margin-top:14px}
.tile{min-width:96px;padding:8px 14px;border-radius:8px;border:1px solid var(--line);background:#fff}
.tile b{display:block;font-size:22px;line-height:1.1}.tile span{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.tile.passed{background:var(--pass-bg);border-color:#aceebb}.tile.failed{background:var(--fail-bg);border-color:#ffb8ad}
.tile.warned{background:var(--warn-bg);border-color:#f0d58a}.tile.waived{background:repeating-linear-gradient(135deg,var(--warn-bg) 0 6px,#fff 6px 12px);border-color:#f0d58a}
.tile.skipped{background:var(--skip-bg)}.tile.errored{background:var(--err-bg);border-color:#e8a39b}
.tile.zero{opacity:.55}
.fixtures{margin-top:10px;color:var(--muted)}
.problem{margin:10px 0;padding:8px;border:2px solid currentColor}
.panel{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px 16px;overflow-x:auto}
table.matrix{border-collapse:separate;border-spacing:3px;width:100%}
.matrix th{font-weight:600;font-size:12px;text-align:center;padding:4px 6px;color:var(--muted)}
.matrix thead th{vertical-align:bottom;font-size:11.5px}.matrix thead th small{display:block;font-weight:400}
.matrix th.row{text-align:left;white-space:nowrap;color:var(--ink)}.matrix th.row small{display:block;color:var(--muted);font-weight:400}
.matrix .off{font-style:italic;color:var(--fail)}
td.cell{text-align:center;border-radius:6px;padding:5px 3px;min-width:58px;height:50px;border:1px solid transparent}
td.cell a{display:block;color:inherit;text-decoration:none}
td.cell .n{display:block;font-size:16px;font-weight:700;line-height:1.2}td.cell .c{display:block;font-size:11px;white-space:nowrap}
td.cell.na{background:var(--na);background-image:repeating-linear-gradient(135deg,transparent 0 5px,#e4e6ea 5px 6px)}
td.cell.empty{background:#fff;border:1px dashed var(--line);color:var(--muted);font-size:11px}
.v-passed{background:var(--pass-bg);color:var(--pass)}
.v-failed{background:var(--fail-bg);color:var(--fail)}
.v-errored{background:var(--err-bg);color:var(--err)}
.v-warned{background:var(--warn-bg);color:var(--warn)}
.v-waived{background:repeating-linear-gradient(135deg,var(--warn-bg) 0 6px,#fffaf0 6px 12px);color:var(--warn)}
.v-skipped{background:var(--skip-bg);color:var(--skip)}
.v-unknown{background:var(--err-bg);color:var(--err)}
td.cell.v-failed,td.cell.v-errored{border-color:currentColor}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin-top:12px;font-size:12px;color:var(--muted)}
.legend .sw{display:inline-block;width:18px;height:14px;border-radius:3px;vertical-align:-2px;margin-right:5px;text-align:center;font-size:10px;line-height:14px}
.legend .sw.na{background:var(--na);background-image:repeating-linear-gradient(135deg,transparent 0 3px,#d6d9de 3px 4px)}
.legend .sw.empty{border:1px dashed var(--line);background:#fff}
.toolbar{display:flex;gap:8px;align-items:center;margin:0 0 10px;flex-wrap:wrap}
.toolbar button,.copy{font:inherit;font-size:12px;padding:3px 10px;border:1px solid var(--line);border-radius:6px;background:#fff;cursor:pointer}
.toolbar button[aria-pressed=true]{background:var(--ink);color:#fff}
html:not(.js) .js-only{display:none}
section.group{margin-top:18px}
.group h3 .c{font-weight:400;color:var(--muted);font-size:12px;margin-left:8px}
details.case{background:#fff;border:1px solid var(--line);border-left:5px solid var(--skip);border-radius:6px;margin:6px 0}
details.case.v-passed{border-left-color:var(--pass)}details.case.v-failed{border-left-color:var(--fail)}
details.case.v-errored{border-left-color:var(--err)}details.case.v-warned,details.case.v-waived{border-left-color:#d4a72c}
details.case{background:#fff;color:var(--ink)}
details.case>summary{cursor:pointer;padding:7px 12px;display:flex;gap:10px;align-items:baseline;flex-wrap:wrap;list-style-position:inside}
details.case>summary .id{font-weight:600}
details.case>summary .title{color:var(--muted)}
details.case>summary .why{flex-basis:100%;color:var(--fail);font-size:12.5px;padding-left:18px;overflow-wrap:anywhere}
details.case.v-warned>summary .why,details.case.v-waived>summary .why{color:var(--warn)}
details.case.v-skipped>summary .why{color:var(--skip)}
.badge{display:inline-block;font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.04em;padding:1px 8px;border-radius:999px}
.body{padding:4px 16px 14px;border-top:1px solid var(--line)}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0}
.kv dt{color:var(--muted)}.kv dd{margin:0;overflow-wrap:anywhere}
table.findings{border-collapse:collapse;width:100%;margin:6px 0;font-size:13px}
.findings th,.findings td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
.findings th{background:#f6f8fa;font-weight:600}
.findings td:nth-child(-n+2),.findings th:nth-child(-n+2){white-space:nowrap;overflow-wrap:normal}
.findings td.sev-MUST{color:var(--fail);font-weight:600}.findings td.sev-SHOULD{color:var(--warn);font-weight:600}
.exchange{display:grid;grid-template-columns:1fr 1fr;gap:12px}
@media (max-width:900px){.exchange{grid-template-columns:1fr}
main{padding:12px 10px 32px}header.top{padding:12px}.panel{padding:10px 8px}
td.cell{min-width:40px;height:42px}td.cell .n{font-size:14px}.matrix thead th{font-size:10.5px;padding:3px 2px}
.tile{min-width:72px;padding:6px 10px}.tile b{font-size:18px}
.findings td:nth-child(-n+2),.findings th:nth-child(-n+2){white-space:normal}}
.exchange>div{min-width:0}
pre{background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:8px 10px;margin:4px 0;white-space:pre-wrap;overflow-wrap:anywhere;max-height:360px;overflow:auto}
pre.repro{background:#1f2328;color:#e6edf3;border-color:#1f2328;user-select:all;-webkit-user-select:all}
.repro-head{display:flex;justify-content:space-between;align-items:center;margin-top:10px}
.label{color:var(--muted);font-size:12px;font-weight:600;text-transform:uppercase;letter-spacing:.04em}
.labels code{background:#eef1f4;border-radius:4px;padding:0 5px;margin-right:4px}
.none{color:var(--muted);font-style:italic}
footer{margin-top:32px;color:var(--muted);font-size:12px}
.hidden{display:none}
`

const htmlJS = `
(function(){
var root=document.documentElement;root.classList.add("js");root.setAttribute("data-js","ok");
if(getComputedStyle(root).getPropertyValue("--errconform-css").trim()==="1"){root.setAttribute("data-css","ok");}
var cases=Array.prototype.slice.call(document.querySelectorAll("details.case"));
function each(f){cases.forEach(f);}
var expand=document.getElementById("expand-all"),collapse=document.getElementById("collapse-all");
if(expand){expand.addEventListener("click",function(){each(function(d){d.open=true;});});}
if(collapse){collapse.addEventListener("click",function(){each(function(d){d.open=false;});});}
var filters=Array.prototype.slice.call(document.querySelectorAll("button[data-filter]"));
filters.forEach(function(b){b.addEventListener("click",function(){
var want=b.getAttribute("data-filter");
filters.forEach(function(o){o.setAttribute("aria-pressed",o===b?"true":"false");});
each(function(d){d.classList.toggle("hidden",want!=="all"&&d.getAttribute("data-verdict")!==want);});
document.querySelectorAll("section.group").forEach(function(s){
s.classList.toggle("hidden",!s.querySelector("details.case:not(.hidden)"));});
});});
document.querySelectorAll("button.copy").forEach(function(b){b.addEventListener("click",function(){
var pre=document.getElementById(b.getAttribute("data-for"));if(!pre||!navigator.clipboard){return;}
navigator.clipboard.writeText(pre.textContent).then(function(){b.textContent="Copied";setTimeout(function(){b.textContent="Copy";},1500);});
});});
function openHash(){if(!location.hash){return;}var t=document.getElementById(decodeURIComponent(location.hash.slice(1)));if(t&&t.tagName==="DETAILS"){t.open=true;}}
openHash();addEventListener("hashchange",openHash);
document.querySelectorAll("td.cell a,a.cause-case,.evidence a").forEach(function(a){a.addEventListener("click",function(){
var t=document.getElementById(decodeURIComponent(a.getAttribute("href").slice(1)));if(t){t.open=true;}});});
})();
`

func htmlCspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// htmlContentSecurityPolicy forbids every load and every script or style but
// the page's own.
var htmlContentSecurityPolicy = "default-src 'none'; style-src " + htmlCspHash(htmlCSS) + "; script-src " + htmlCspHash(htmlJS) +
	"; img-src 'none'; base-uri 'none'; form-action 'none'"

const htmlBody = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="@CSP@">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Verdict}} · {{.Title}}: {{if .Name}}{{.Name}} {{end}}{{.Target.BaseURL}}</title>
<style>@CSS@</style>
</head>
<body>
<main>
<header class="top {{.Overall}}" id="top">
<h1><span class="verdict" id="verdict" data-verdict="{{.Verdict}}">{{.VerdictSymbol}} {{.Verdict}}</span> <span class="sub">{{.Tool.Name}} report</span></h1>
<dl class="meta">
<dt>Tool</dt><dd>{{.Tool.Name}} {{.Tool.Version}}</dd>
<dt>Contract</dt><dd>{{.Contract}} <span class="mono" id="contract-digest">{{.Digest}}</span></dd>
<dt>Judged</dt><dd id="judged">{{.Judged}}</dd>
<dt>Routes</dt><dd id="routes-judged">{{.Routes}}</dd>
{{- if .Partial}}
<dt>Partial run</dt><dd id="partial">{{.Partial}}</dd>
{{- end}}
{{- if .NothingJudged}}
<dt>Not green</dt><dd id="nothing-judged">{{.NothingJudged}}</dd>
{{- end}}
{{- if .Name}}
<dt>Name</dt><dd class="mono" id="target-name">{{.Name}}</dd>
{{- end}}
{{- if .Tags}}
<dt>Tags</dt><dd class="mono" id="tags">{{range $i, $t := .Tags}}{{if $i}}, {{end}}{{$t}}{{end}}</dd>
{{- end}}
<dt>Target</dt><dd class="mono" id="target-url">{{.Target.BaseURL}}{{if .Target.Embedded}} <span class="none">(embedded reference)</span>{{end}}</dd>
<dt>Started</dt><dd>{{if .StartedAt}}{{.StartedAt}}{{else}}<span class="none">unknown</span>{{end}}</dd>
<dt>Duration</dt><dd>{{.Duration}}</dd>
</dl>
{{- range .Problems}}
<p class="problem"><b>{{index . 0}}</b>: {{index . 1}}</p>
{{- end}}
<div class="tiles" id="summary">
{{- range .Tiles}}
<div class="tile {{.Class}}{{if not .Count}} zero{{end}}" data-summary="{{.Key}}"{{if .Title}} title="{{.Title}}"{{end}}><b>{{.Count}}</b><span>{{.Label}}</span></div>
{{- end}}
</div>
{{- if .ByFixture}}
<div class="fixtures" id="skipped-by-fixture">Skipped for a missing fixture:
{{- range $i, $f := .ByFixture}}{{if $i}},{{end}} <code data-fixture="{{$f.Key}}">{{$f.Key}}</code> × {{$f.Count}}{{end}}
</div>
{{- end}}
{{- if .Waived}}
<div class="fixtures" id="waived-failures">Waived failures ({{len .Waived}}):
<ul>
{{- range .Waived}}
<li class="mono">{{.Case}}: waived until {{.Expires}} ({{.Reason}}): {{.Finding}}</li>
{{- end}}
</ul>
</div>
{{- end}}
{{- if .NotInContract}}
<div class="fixtures" id="not-in-contract">Not in this contract (skipped, never run, never passed):
<ul>
{{- range .NotInContract}}
<li data-reason-count="{{.Count}}" title="{{.Cases}}">{{.Reason}} × {{.Count}}</li>
{{- end}}
</ul>
</div>
{{- end}}
</header>
{{- if .Causes}}

<h2 id="causes">Failing cases by cause <span class="c">(click a cause for its cases)</span></h2>
<ol class="causes">
{{- range .Causes}}
<li class="cause" data-count="{{.Count}}"><details class="cause"><summary><b>{{.Count}}</b> × <span class="mono">{{.Headline}}</span></summary>
<div class="evidence mono">e.g. <a href="#{{.ExampleAnchor}}">{{.Example}}</a>{{if .Evidence}}: {{.Evidence}}{{end}}</div>
<div class="cause-cases">{{range $i, $c := .Cases}}{{if $i}}, {{end}}<a href="#{{$c.Anchor}}" class="mono cause-case">{{$c.ID}}</a>{{end}}</div>
</details></li>
{{- end}}
</ol>
{{- end}}
{{- template "baseline" .Baseline}}

<h2 id="matrix">Contract matrix</h2>
<div class="panel">
{{- if .HasMatrix}}
<table class="matrix">
<thead><tr><th scope="col">status{{if .Matrix.Typed}} / type{{end}}</th>
{{- range .Matrix.Columns}}
<th scope="col" class="mono{{if not .Contract}} off{{end}}" data-code="{{.Code}}">{{range $i, $part := .Label}}{{if $i}}<wbr>{{end}}{{$part}}{{end}}{{if .Status}}<small>{{.Status}}</small>{{else if not .Contract}}<small>not in contract</small>{{end}}</th>
{{- end}}
</tr></thead>
<tbody>
{{- range .Matrix.Rows}}
<tr data-status="{{.Status}}"><th scope="row" class="row mono{{if not .Contract}} off{{end}}">{{.Status}}<small>{{if .Type}}{{.Type}}{{else if not .Contract}}not in contract{{end}}</small></th>
{{- range .Cells}}
{{- if eq .Class "active"}}
<td class="cell active v-{{.Verdict}}" data-status="{{.Status}}" data-code="{{.Code}}" data-verdict="{{.Verdict}}" data-cases="{{.Total}}" title="{{.Cases}}"><a href="{{.Link}}"><span class="n">{{.Total}}</span><span class="c">{{range $i, $c := .Counts}}{{if $i}} {{end}}{{$c.Symbol}}{{$c.Count}}{{end}}</span></a></td>
{{- else if eq .Class "empty"}}
<td class="cell empty" data-status="{{.Status}}" data-code="{{.Code}}" data-verdict="" title="in the contract, no case">no case</td>
{{- else}}
<td class="cell na" data-status="{{.Status}}" data-code="{{.Code}}" data-verdict="" title="the contract pairs no such status and code"></td>
{{- end}}
{{- end}}
</tr>
{{- end}}
</tbody>
</table>
{{- else}}
<p class="none">No statuses to show.</p>
{{- end}}
<div class="legend" id="legend">
{{- range .Legend}}
<span title="{{.Meaning}}"><span class="sw v-{{.Class}}">{{.Symbol}}</span>{{.Label}}</span>
{{- end}}
<span title="the contract has the pairing but no case expects it"><span class="sw empty"></span>no case</span>
<span title="the contract pairs no such status and code"><span class="sw na"></span>not a contract pairing</span>
</div>
<p class="legend">A cell counts the cases expecting that status and code and takes the colour of its worst verdict:
failed &gt; errored &gt; warned &gt; waived &gt; skipped &gt; passed. Click a cell for its worst case.
{{- if .OutOfMatrix}} The {{.OutOfMatrix}} cases not in this contract have no cell.{{end}}</p>
</div>

<h2 id="cases">Cases <span class="c">({{.CaseCount}})</span></h2>
<div class="toolbar js-only">
<button type="button" id="expand-all">Expand all</button><button type="button" id="collapse-all">Collapse all</button>
<span class="label">Show</span>
{{- range .Filters}}<button type="button" data-filter="{{.Verdict}}" data-count="{{.Count}}" aria-pressed="{{eq .Verdict "all"}}">{{.Verdict}} ({{.Count}})</button>{{end}}
</div>
{{- range .Groups}}
<section class="group" id="{{.Anchor}}" data-group="{{.Name}}">
<h3>{{.Name}}<span class="c">{{range $i, $c := .Counts}}{{if $i}} · {{end}}{{$c.Count}} {{$c.Verdict}}{{end}}</span></h3>
{{- range .Cases}}
<details class="case v-{{.VerdictClass}}" id="{{.Anchor}}" data-case-id="{{.ID}}" data-verdict="{{.Verdict}}"{{if .SkipReason}} data-skip-reason="{{.SkipReason}}"{{end}}>
<summary><span class="badge v-{{.VerdictClass}}">{{.Symbol}} {{.Verdict}}</span>{{if .BaselineClass}}<span class="baseline-class" data-baseline-class="{{.BaselineClass}}">{{.BaselineClass}}</span>{{end}}<span class="id mono">{{.ID}}</span><span class="title">{{.Title}}</span>{{if and .Headline (ne .Verdict "passed")}}<span class="why">{{.Headline}}</span>{{end}}</summary>
<div class="body">
<dl class="kv">
<dt>ID</dt><dd class="mono">{{.ID}}</dd>
<dt>Title</dt><dd>{{.Title}}</dd>
<dt>Verdict</dt><dd><span class="badge v-{{.VerdictClass}}">{{.Verdict}}</span>{{if .SkipReason}} <span class="mono" data-field="skip-reason">{{.SkipReason}}</span>{{end}}</dd>
{{- if .Situation}}
<dt>Situation</dt><dd class="mono">{{.Situation}}</dd>
{{- end}}
<dt>Expected</dt><dd class="mono">{{.Expect}}</dd>
{{- if .Reason}}
<dt>Reason</dt><dd>{{.Reason}}</dd>
{{- end}}
<dt>Requests sent</dt><dd>{{.Requests}}</dd>
{{- if .Labels}}
<dt>Labels</dt><dd class="labels">{{range .Labels}}<code>{{.}}</code>{{end}}</dd>
{{- end}}
</dl>
{{- if .Findings}}
<div class="label">Findings</div>
<div class="scroll">
<table class="findings">
<thead><tr><th>rule</th><th>severity</th><th>expected</th><th>actual</th><th>pointer</th><th>message</th></tr></thead>
<tbody>
{{- range .Findings}}
<tr data-rule="{{.Rule}}"><td class="mono">{{.Rule}}</td><td class="sev-{{.Severity}}">{{.Severity}}</td><td class="mono">{{.Expected}}</td><td class="mono">{{.Actual}}</td><td class="mono">{{.Pointer}}</td><td>{{.Message}}</td></tr>
{{- end}}
</tbody>
</table>
</div>
{{- else}}
<p class="none">No findings.</p>
{{- end}}
{{- if or .Request .Response}}
<div class="exchange">
<div class="request">
<div class="label">Request</div>
{{- with .Request}}
<pre>{{.Method}} {{.URL}}
{{range .Headers}}{{.Name}}: {{.Value}}
{{end}}</pre>
{{- if .Body}}
<div class="label">Body ({{.BodyBytes}} bytes)</div>
<pre>{{.Body}}</pre>
{{- end}}
{{- else}}
<p class="none">No request recorded.</p>
{{- end}}
</div>
<div class="response">
<div class="label">Response</div>
{{- with .Response}}
<pre>{{if .Status}}HTTP {{.Status}}{{else}}no status{{end}} · {{.Duration}}
{{range .Headers}}{{.Name}}: {{.Value}}
{{end}}</pre>
{{- if .Failure}}
<dl class="kv"><dt>Failure</dt><dd>{{.Failure}}</dd>{{if .Error}}<dt>Error</dt><dd>{{.Error}}</dd>{{end}}</dl>
{{- else if .Error}}
<dl class="kv"><dt>Error</dt><dd>{{.Error}}</dd></dl>
{{- end}}
<div class="label">Body ({{.BodyBytes}} bytes{{if .Truncated}}, truncated{{end}})</div>
<pre>{{.Body}}</pre>
{{- else}}
<p class="none">No response recorded.</p>
{{- end}}
</div>
</div>
{{- end}}
{{- if .Reproduce}}
<div class="repro-head"><span class="label">Reproduce</span><button type="button" class="copy js-only" data-for="repro-{{.Anchor}}">Copy</button></div>
<pre class="repro" id="repro-{{.Anchor}}">{{range $i, $part := .Reproduce}}{{if $i}}&#13;{{end}}{{$part}}{{end}}</pre>
{{- end}}
</div>
</details>
{{- end}}
</section>
{{- end}}
<footer>Generated by {{.Tool.Name}} {{.Tool.Version}}. This file is self-contained: it loads nothing and runs no code but its own.</footer>
</main>
<script>@JS@</script>
</body>
</html>
`

var htmlTemplate = template.Must(template.New("report").Parse(
	strings.NewReplacer("@CSP@", htmlContentSecurityPolicy, "@CSS@", htmlCSS, "@JS@", htmlJS).Replace(htmlBody) + htmlBaselineTemplate))
