// The shoal dashboard, in the browser: plain ES modules, no build step. This one wires the
// stream (stream.js) to the panels; each panel's module draws it from the views the monitor
// computes (control-plane/monitor/dashboardView.ts), node status and place included.
import { fitChartsToWindow, renderCharts } from './charts.js';
import { renderEvents, watchFilters } from './eventLog.js';
import { renderConnection, renderHeader } from './header.js';
import { renderNodes } from './nodeTable.js';
import { renderScaling } from './scaling.js';
import { follow, initialState } from './stream.js';
import { renderConflicts, renderSync } from './sync.js';
import { renderTopology } from './topology.js';

const state = initialState();

const show = {
  connection: () => renderConnection(state.connection, state.cluster),
  cluster: () => {
    const c = state.cluster;
    if (c) {
      renderHeader(c);
      renderTopology(c);
      renderNodes(c);
      renderSync(c);
      renderScaling(c);
    }
    renderCharts(state.history);
  },
  events: () => renderEvents(state.events, state.cluster),
  conflicts: () => renderConflicts(state.conflicts),
};

fitChartsToWindow();
watchFilters(show.events);
show.connection();
follow(state, show);
