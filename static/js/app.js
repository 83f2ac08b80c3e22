/* Small progressive enhancements; every page works without this file. */
(function () {
  "use strict";
  function focusErrors(root) {
    var summary = (root || document).querySelector("#error-summary");
    if (summary) { summary.focus(); }
  }
  document.addEventListener("DOMContentLoaded", function () { focusErrors(document); });
  document.addEventListener("htmx:afterSwap", function (event) { focusErrors(event.detail.target); });

  /* htmx drops every <script> of a swapped page (allowScriptTags: false); a boosted page's
     own scripts (auth.js, botcheck.js) that this document has not loaded yet are read from
     the answer and added here, from this site only (CSP script-src 'self'); they start on
     the page they find. */
  var loaded = {};  // app.js is deferred: every script of the first page is parsed by now
  for (var i = 0; i < document.scripts.length; i++) { loaded[document.scripts[i].src] = true; }
  var wanted = [];
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail || {};
    wanted = [];
    if (!detail.boosted || !detail.shouldSwap || !window.DOMParser || !window.URL) { return; }
    var page = new DOMParser().parseFromString(detail.serverResponse || "", "text/html");
    var scripts = page.querySelectorAll("body script[src]");
    for (var j = 0; j < scripts.length; j++) {
      var url = new URL(scripts[j].getAttribute("src"), document.baseURI);
      if (url.origin === window.location.origin && !loaded[url.href]) { wanted.push(url.href); }
    }
  });
  document.addEventListener("htmx:afterSwap", function () {
    var srcs = wanted;
    wanted = [];
    for (var j = 0; j < srcs.length; j++) {
      if (loaded[srcs[j]]) { continue; }
      loaded[srcs[j]] = true;
      var script = document.createElement("script");
      script.src = srcs[j];
      document.head.appendChild(script);
    }
  });

  /* A boosted form (hx-boost) swaps in a whole new page: once it has settled (its <title>
     is in), focus goes where a page load would leave a screen reader, to the error summary
     when there is one, else to <main> (tabindex=-1), so the new page is announced. */
  var settled = typeof WeakSet === "function" ? new WeakSet() : null;
  document.addEventListener("htmx:afterSettle", function (event) {
    var detail = event.detail || {};
    if (!detail.boosted || !detail.xhr || !settled || settled.has(detail.xhr)) { return; }
    settled.add(detail.xhr);  // settle fires once per swapped element: focus once
    var target = document.querySelector("#error-summary") || document.getElementById("main");
    if (target) { target.focus({ preventScroll: true }); }
  });
})();
