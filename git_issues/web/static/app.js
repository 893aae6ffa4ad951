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

// Task lists: ticking a box of the body posts the page's small form (CSRF token and
// the digest of the version shown), which ticks that box in the file and stages it.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("task-form");
  if (!form) { return; }
  document.querySelectorAll("[data-tasks] input[data-task]").forEach(function (box) {
    box.addEventListener("change", function () {
      form.elements.task.value = box.dataset.task;
      form.elements.done.value = box.checked ? "1" : "0";
      form.submit();
    });
  });
});

// Preview: the server renders the text (the same sanitiser as the page); "Write" goes back.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button.preview-button").forEach(function (button) {
    var form = button.closest("form");
    var text = form.querySelector("textarea[name=body]");
    var shown = form.querySelector("div.preview");
    button.hidden = false;
    button.addEventListener("click", function () {
      if (!shown.hidden) {
        shown.hidden = true; text.hidden = false; button.textContent = "Preview"; text.focus();
        return;
      }
      var data = new FormData();
      data.append("csrf", form.elements.csrf.value);
      data.append("body", text.value);
      fetch(button.dataset.preview, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var body = doc.querySelector(".preview-body");
          shown.replaceChildren(document.importNode(body, true));
          shown.hidden = false; text.hidden = true; button.textContent = "Write";
        })
        .catch(function () { shown.textContent = "The preview failed: post the text to see it."; shown.hidden = false; });
    });
  });
});
