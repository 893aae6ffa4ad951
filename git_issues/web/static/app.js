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

// The board: drag a card onto another column to move it (its form's select and button
// do the same without JavaScript).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".board .card").forEach(function (card) {
    if (!card.querySelector("form.move")) { return; }
    card.draggable = true;
    card.addEventListener("dragstart", function (e) {
      e.dataTransfer.setData("text/plain", card.dataset.id);
    });
  });
  document.querySelectorAll(".board .column").forEach(function (column) {
    column.addEventListener("dragover", function (e) { e.preventDefault(); });
    column.addEventListener("drop", function (e) {
      e.preventDefault();
      var card = document.querySelector('.board .card[data-id="' + e.dataTransfer.getData("text/plain") + '"]');
      var form = card && card.querySelector("form.move");
      if (!form || card.closest(".column") === column) { return; }
      form.elements.to.value = column.dataset.column;
      form.submit();
    });
  });
});
