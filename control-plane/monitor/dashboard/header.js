// The page's header: whether it is live, and the cluster in a few figures.
import { $ } from './dom.js';
import { time } from './format.js';

/**
 * Live, or what is wrong (`connection` as the monitor sends it); when not live the page is
 * greyed out and says how old its picture is.
 */
export function renderConnection(connection, cluster) {
  const box = $('connection');
  const blind = connection.connected && cluster && cluster.blind;
  box.dataset.connected = String(connection.connected);
  box.dataset.blind = String(Boolean(blind));
  document.body.dataset.live = String(connection.connected);
  const asOf = cluster ? ` · showing the picture of ${time(cluster.atMs)}` : '';
  box.textContent = connection.connected
    ? `live · following ${connection.leaderId}${blind ? ' · it cannot reach Consul, so it decides nothing' : ''}`
    : `not live: ${connection.problem}${asOf}`;
}

/** The cluster's name, term, primary, control-plane leader and worker count. */
export function renderHeader(cluster) {
  $('cluster-name').textContent = cluster.cluster;
  document.title = `shoal ${cluster.cluster}`;
  $('term').textContent = String(cluster.term);
  $('primary').textContent = cluster.primaryId || 'none';
  $('cp-leader').textContent = cluster.leaderId || 'none';
  $('worker-count').textContent = `${cluster.scaling.workers} running, ${cluster.scaling.desiredWorkers} desired`;
}
