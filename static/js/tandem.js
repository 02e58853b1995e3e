// Tandem's small client-side behaviours. Loaded as a file: the CSP forbids inline scripts.
(function () {
  "use strict";
  // Surface htmx failures the user would otherwise not notice.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : "";
    var box = document.createElement("div");
    box.className = "alert alert-danger";
    box.setAttribute("role", "alert");
    box.textContent = "The request failed" + (status ? " (" + status + ")" : "") + ". Please try again.";
    var main = document.getElementById("main");
    if (main) { main.prepend(box); }
  });

  // ---------------------------------------------------------------- kanban board
  // Cards (draggable, data-move-url) are dropped on columns (data-stage); the drop posts
  // the stage to the card's move URL with htmx, which re-renders the board (#board).
  // Without JavaScript each card's "Move to" form does the same as a plain POST.
  var dragged = null;

  function columnOf(node) {
    return node && node.closest ? node.closest("[data-kanban] [data-stage]") : null;
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest("[data-kanban] [data-move-url]");
    if (!card) { return; }
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-opportunity") || "");
  });

  document.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("dragging"); }
    dragged = null;
    document.querySelectorAll(".kanban-column.drop-target").forEach(function (column) {
      column.classList.remove("drop-target");
    });
  });

  document.addEventListener("dragover", function (event) {
    var column = columnOf(event.target);
    if (!dragged || !column) { return; }
    event.preventDefault(); // allows the drop
    event.dataTransfer.dropEffect = "move";
    if (!column.classList.contains("drop-target")) {
      document.querySelectorAll(".kanban-column.drop-target").forEach(function (other) {
        other.classList.remove("drop-target");
      });
      column.classList.add("drop-target");
    }
  });

  document.addEventListener("drop", function (event) {
    var column = columnOf(event.target);
    if (!dragged || !column) { return; }
    event.preventDefault();
    var card = dragged;
    column.classList.remove("drop-target");
    if (card.closest("[data-stage]") === column) { return; }
    var values = { stage: column.getAttribute("data-stage") };
    if (column.getAttribute("data-outcome") === "lost") {
      var reason = window.prompt("Why was it lost? (optional)");
      if (reason === null) { return; }
      values.lost_reason = reason;
    }
    // Show the card in its new column at once; the server's board replaces it.
    var list = column.querySelector(".kanban-cards");
    if (list) {
      var empty = list.querySelector(".kanban-empty");
      if (empty) { empty.remove(); }
      list.prepend(card);
    }
    card.classList.add("moving");
    window.htmx.ajax("POST", card.getAttribute("data-move-url"), {
      source: card, target: "#board", swap: "outerHTML", values: values
    });
  });

  // ---------------------------------------------------------------- charts
  // <canvas data-chart="forecast" data-chart-source="<json_script id>">: Chart.js, configured
  // from data, since the CSP allows no inline script.
  function drawCharts() {
    if (!window.Chart) { return; }
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) { return; }
      var source = document.getElementById(canvas.getAttribute("data-chart-source"));
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      canvas.dataset.drawn = "1";
      // {labels, datasets: [{label, data, color}], type}
      var datasets = data.datasets.map(function (set) {
        return { label: set.label, data: set.data.map(Number), backgroundColor: set.color };
      });
      new window.Chart(canvas, {
        type: data.type || "bar",
        data: { labels: data.labels, datasets: datasets },
        options: { responsive: true, maintainAspectRatio: false, animation: false }
      });
    });
  }
  window.addEventListener("load", drawCharts);
  document.addEventListener("htmx:afterSettle", drawCharts);

  // ---------------------------------------------------------------- lookup pickers
  // integration.widgets.LookupSelect: the search box ([data-lookup-search]) loads matching
  // <option>s into its select's group ([data-lookup-matches]) with htmx. A choice made from
  // an earlier search moves out of the group first, so a new search never drops it.
  function matchesGroup(node) {
    return node && node.matches && node.matches("optgroup[data-lookup-matches]") ? node : null;
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var group = matchesGroup(event.detail.target);
    var select = group && group.closest("select");
    var chosen = select && select.selectedOptions[0];
    if (chosen && chosen.parentNode === group) { select.insertBefore(chosen, group); }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var group = matchesGroup(event.detail.target);
    var select = group && group.closest("select");
    if (!select) { return; }
    group.label = "Matches";
    // An option already outside the group (the chosen one) is not listed twice.
    var outside = {};
    Array.prototype.forEach.call(select.options, function (option) {
      if (option.parentNode !== group && option.value !== "") { outside[option.value] = true; }
    });
    Array.prototype.slice.call(group.children).forEach(function (option) {
      if (option.value !== "" && outside[option.value]) { option.remove(); }
    });
  });

  // Enter in a picker's search box must not submit the form: it moves on to the select.
  document.addEventListener("keydown", function (event) {
    var search = event.target.closest && event.target.closest("[data-lookup-search]");
    if (!search || event.key !== "Enter") { return; }
    event.preventDefault();
    var select = document.getElementById(search.getAttribute("aria-controls"));
    if (select) { select.focus(); }
  });
})();
