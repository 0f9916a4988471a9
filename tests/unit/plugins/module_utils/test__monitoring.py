# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_monitoring.py: the metric names of the shipped vLLM dashboard and of Ray's core dashboard as Ray
2.60 generated it on a lab head (fixtures/grafana/README.md), PromQL corner cases, and the file_sd targets."""

import json
import os
import re

import pytest

from ansible_collections.llmops.ray_vllm.plugins.module_utils._monitoring import (
    dashboard_metric_names,
    dashboard_queries,
    promql_metric_names,
    scrape_targets,
)

HERE = os.path.dirname(__file__)
ROOT = os.path.join(HERE, "..", "..", "..", "..")
FIXTURES = os.path.join(HERE, "..", "..", "fixtures", "grafana")


def load(path):
    with open(path) as f:
        return json.load(f)


@pytest.mark.parametrize("expr, names", [
    ('histogram_quantile(0.95, sum by (le, model_name) (rate(vllm:time_to_first_token_seconds_bucket'
     '{model_name=~"$model_name"}[$__rate_interval])))', ["vllm:time_to_first_token_seconds_bucket"]),
    ('sum(ray_tasks{IsRetry="0",State=~"FINISHED|FAILED",SessionName=~"$SessionName",}) by (State) or vector(0)',
     ["ray_tasks"]),
    ("a_total / on (instance) group_left (node) b_info * 1e3 offset 5m", ["a_total", "b_info"]),
    ('count without (le) (up{job="x"}) > bool 0.5', ["up"]),
    ('sum(rate(ray_node_network_received{instance=~"${instance:regex}"}[5m:1m]))', ["ray_node_network_received"]),
    ("", []),
])
def test_promql_metric_names(expr, names):
    assert promql_metric_names(expr) == names


def test_the_shipped_vllm_dashboard_reads_the_metrics_the_issue_names():
    dashboard = load(os.path.join(ROOT, "roles", "monitoring", "files", "dashboards", "vllm.json"))
    names = dashboard_metric_names(dashboard)
    assert names == [
        "vllm:e2e_request_latency_seconds_bucket", "vllm:generation_tokens_total",
        "vllm:inter_token_latency_seconds_bucket", "vllm:kv_cache_usage_perc", "vllm:num_preemptions_total",
        "vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:prompt_tokens_total",
        "vllm:request_success_total", "vllm:time_to_first_token_seconds_bucket"]
    assert len(dashboard_queries(dashboard)) == 14  # 13 panel queries and the model variable's


def test_collapsed_rows_and_variables_count():
    dashboard = {"dashboard": {
        "panels": [{"type": "row", "panels": [{"targets": [{"expr": "rate(x_total[1m])"}]}]},
                   {"targets": [{"expr": "y"}, {"refId": "B"}]}],
        "templating": {"list": [{"type": "query", "query": "label_values(z_info{a=\"1\"}, node)"},
                                {"type": "query", "query": {"query": "label_values(instance)"}},
                                {"type": "query", "query": "query_result(topk(3, w))"},
                                {"type": "datasource", "query": "prometheus"}]}}}
    assert dashboard_metric_names(dashboard) == ["w", "x_total", "y", "z_info"]


def test_ray_core_dashboard_as_ray_generated_it():
    dashboard = load(os.path.join(FIXTURES, "ray-2.60.0-default_grafana_dashboard.json"))
    names = dashboard_metric_names(dashboard)
    assert len(dashboard_queries(dashboard)) == 78 and len(names) == 41
    assert all(re.match(r"^(ray|autoscaler)_[a-z_]+$", name) for name in names), names
    assert {"ray_node_cpu_utilization", "ray_tasks", "ray_actors", "autoscaler_active_nodes",
            "ray_node_gpus_utilization"} <= set(names)


HOSTVARS = {
    "head": {"ray_node_ip": "10.0.0.11"},
    "w1": {"ansible_facts": {"default_ipv4": {"address": "10.0.0.12"}}},
    "w2": {"ansible_default_ipv4": {"address": "10.0.0.13"}},
}


def test_scrape_targets_one_group_per_ray_node_and_one_for_vllm():
    groups = scrape_targets(["head", "w1", "w2"], HOSTVARS, "head", "prod", 8080, 8000, "tiny", [44217, 44227])
    assert groups == [
        {"targets": ["10.0.0.11:8000"], "labels": {"cluster": "prod", "node": "head", "role": "vllm", "model": "tiny"}},
        {"targets": ["10.0.0.11:8080", "10.0.0.11:44217", "10.0.0.11:44227"],
         "labels": {"cluster": "prod", "node": "head", "role": "ray_head"}},
        {"targets": ["10.0.0.12:8080"], "labels": {"cluster": "prod", "node": "w1", "role": "ray_worker"}},
        {"targets": ["10.0.0.13:8080"], "labels": {"cluster": "prod", "node": "w2", "role": "ray_worker"}},
    ]
    assert scrape_targets(["head"], HOSTVARS, "head", "c", 8080)[0]["labels"] == {
        "cluster": "c", "node": "head", "role": "ray_head"}


def test_scrape_targets_one_group_per_server_of_the_layout():
    servers = [{"name": "chat", "runs_on": "head", "port": 8000, "model": "llama", "host": "0.0.0.0"},
               {"name": "coder", "runs_on": "w2", "port": 8001, "served": "qwen-coder"}]
    groups = scrape_targets(["head", "w1", "w2"], HOSTVARS, "head", "prod", 8080, vllm_servers=servers)
    assert groups[:2] == [
        {"targets": ["10.0.0.11:8000"],
         "labels": {"cluster": "prod", "node": "head", "role": "vllm", "model": "llama", "server": "chat"}},
        {"targets": ["10.0.0.13:8001"],
         "labels": {"cluster": "prod", "node": "w2", "role": "vllm", "model": "qwen-coder", "server": "coder"}}]
    assert [g["labels"]["role"] for g in groups[2:]] == ["ray_head", "ray_worker", "ray_worker"]


def test_scrape_targets_names_the_hosts_without_an_address():
    with pytest.raises(ValueError, match="no node IP for w3: gather facts"):
        scrape_targets(["head", "w3"], dict(HOSTVARS, w3={}), "head", "c", 8080)
