// Conveniences only: every page reads and writes without this file.
// Loads an issue's history from git into its page (the link still works without it).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("history");
  if (!box || !box.dataset.src) { return; }
  fetch(box.dataset.src, { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
    .then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var list = doc.querySelector("div.log");
      if (list) { box.replaceChild(document.importNode(list, true), box.querySelector("p")); }
    })
    .catch(function () { /* the link stays */ });
});

// Keyboard: "/" focuses the search box, "c" opens a new issue; never while typing in a field.
document.addEventListener("keydown", function (e) {
  if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) { return; }
  var t = e.target;
  if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) { return; }
  if (e.key === "/") {
    var search = document.getElementById("search") || document.querySelector("input[type=search]");
    if (search) { e.preventDefault(); search.focus(); }
  } else if (e.key === "c") {
    var link = document.getElementById("new-issue");
    if (link) { e.preventDefault(); window.location.href = link.href; }
  }
});
