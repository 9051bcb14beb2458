#include "replicas.h"
#include "resource.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void __attribute__((format(printf, 3, 4)))
say(char *dst, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(dst, size, fmt, ap);
    va_end(ap);
}

/* Tolerances.isWithin: inside [1 - down, 1 + up]. */
static int
within(const struct cm_hpa *h, double ratio)
{
    return ratio >= 1.0 - h->tolerance_down && ratio <= 1.0 + h->tolerance_up;
}

static int32_t
ceil32(double v)
{
    double c = ceil(v);

    return c >= (double)INT32_MAX ? INT32_MAX : c <= 0 ? 0 : (int32_t)c;
}

/* getUsageRatioReplicaCount, with the ready pods taken to be the current replicas. */
static int32_t
ratio_replicas(const struct cm_hpa *h, int32_t current, double ratio, int *in)
{
    *in = 0;
    if (current == 0)
        return ceil32(ratio);
    if ((*in = within(h, ratio)))
        return current;
    return ceil32(ratio * current);
}

/* The failure of m: the event (reason, message) and the error the controller returns. */
static void
failed(const struct cm_hpa *h, const struct cm_hpa_metric *m, const char *client_error,
       struct cm_hpa_outcome *out)
{
    const struct cm_hpa_metric *o = m;

    out->ok = 0;
    switch (m->source) {
    case CM_HPA_PODS:
        out->reason = "FailedGetPodsMetric";
        say(out->event, sizeof(out->event), "unable to get metric %s: %s", m->name, client_error);
        say(out->error, sizeof(out->error), "failed to get pods metric value: %s", out->event);
        break;
    case CM_HPA_OBJECT:
        out->reason = "FailedGetObjectMetric";
        /* the controller's format puts the error after the kind's "on" */
        say(out->event, sizeof(out->event), "unable to get metric %s: %s on %s %s/%s", m->name,
            o->object_kind, h->ns, o->object_name, client_error);
        if (m->target == CM_HPA_AVERAGE_VALUE)
            say(out->error, sizeof(out->error), "failed to get object metric value: failed to "
                "get %s object metric: %s", m->name, out->event);
        else
            say(out->error, sizeof(out->error), "failed to get object metric value: %s", out->event);
        break;
    case CM_HPA_EXTERNAL:
        out->reason = "FailedGetExternalMetric";
        say(out->event, sizeof(out->event), "unable to get external metric %s/%s/%s: %s", h->ns,
            m->name, m->selector_go, client_error);
        if (m->target == CM_HPA_AVERAGE_VALUE)
            say(out->error, sizeof(out->error), "failed to get %s external metric: %s", m->name,
                out->event);
        else
            say(out->error, sizeof(out->error), "failed to get external metric %s: %s", m->name,
                out->event);
        break;
    case CM_HPA_RESOURCE:
        out->reason = "FailedGetResourceMetric";
        say(out->event, sizeof(out->event), "%s", client_error);
        say(out->error, sizeof(out->error), "failed to get %s utilization: %s", m->name, client_error);
        break;
    }
}

void
cm_hpa_compute(const struct cm_hpa *h, const struct cm_hpa_metric *m, int32_t current,
               const struct cm_hpa_reading *r, struct cm_hpa_outcome *out)
{
    int64_t sum = 0;
    size_t i;

    memset(out, 0, sizeof(*out));
    if (m->source == CM_HPA_RESOURCE) {
        failed(h, m, "resource metrics come from the resource metrics API (metrics.k8s.io, "
               "metrics-server), not from this server", out);
        return;
    }
    if (r->error != NULL) {
        failed(h, m, r->error, out);
        return;
    }
    for (i = 0; i < r->n; i++)
        sum += r->milli[i];
    out->ok = 1;
    switch (m->source) {
    case CM_HPA_PODS:
        /* GetMetricUsageRatio: integer average of the thousandths */
        out->usage_milli = sum / (int64_t)r->n;
        out->ratio = (double)out->usage_milli / (double)m->target_milli;
        out->within = within(h, out->ratio);
        out->replicas = out->within ? current : ceil32(out->ratio * (double)r->n);
        say(out->label, sizeof(out->label), "pods metric %s", m->name);
        break;
    case CM_HPA_OBJECT:
    case CM_HPA_EXTERNAL:
        if (m->target == CM_HPA_VALUE) {
            out->usage_milli = sum;
            out->ratio = (double)sum / (double)m->target_milli;
            out->replicas = ratio_replicas(h, current, out->ratio, &out->within);
        } else {
            /* GetObjectPerPodMetricReplicas / GetExternalPerPodMetricReplicas */
            out->ratio = (double)sum / ((double)m->target_milli * (double)current);
            out->within = within(h, out->ratio);
            out->replicas = out->within ? current
                                        : ceil32((double)sum / (double)m->target_milli);
            out->usage_milli = current > 0 ? (int64_t)ceil((double)sum / (double)current) : sum;
        }
        if (m->source == CM_HPA_OBJECT && m->target == CM_HPA_VALUE)
            say(out->label, sizeof(out->label), "%s metric %s", m->object_kind, m->name);
        else
            say(out->label, sizeof(out->label), "external metric %s(%s)", m->name, m->selector_go);
        break;
    case CM_HPA_RESOURCE:
        break;
    }
}

void
cm_hpa_decide(const struct cm_hpa *h, int32_t current, const struct cm_hpa_outcome *o,
              size_t n, struct cm_hpa_decision *out)
{
    const struct cm_hpa_outcome *first_bad = NULL, *best = NULL;
    size_t i, bad = 0;
    int32_t desired;

    memset(out, 0, sizeof(*out));
    if (current > h->max_replicas || current < h->min_replicas) {
        out->ok = 1;
        out->desired = current > h->max_replicas ? h->max_replicas : h->min_replicas;
        say(out->message, sizeof(out->message), "New size: %d; reason: Current number of "
            "replicas %s Spec.%s", out->desired, current > h->max_replicas ? "above" : "below",
            current > h->max_replicas ? "MaxReplicas" : "MinReplicas");
        return;
    }
    for (i = 0; i < n; i++) {
        if (!o[i].ok) {
            if (first_bad == NULL)
                first_bad = &o[i];
            bad++;
        } else if (best == NULL || o[i].replicas > best->replicas) {
            best = &o[i];
        }
    }
    /* all invalid, or some invalid while the valid ones would scale down */
    if (best == NULL || (bad > 0 && best->replicas < current)) {
        out->ok = 0;
        out->desired = current;
        say(out->message, sizeof(out->message), "invalid metrics (%zu invalid out of %zu), first "
            "error is: %s", bad, n, first_bad->error);
        return;
    }
    out->ok = 1;
    desired = best->replicas;
    if (desired > h->max_replicas)
        desired = h->max_replicas;
    if (desired < h->min_replicas)
        desired = h->min_replicas;
    out->desired = desired;
    if (desired > current)
        say(out->message, sizeof(out->message), "New size: %d; reason: %s above target", desired,
            best->label);
    else if (desired < current)
        say(out->message, sizeof(out->message), "New size: %d; reason: All metrics below target",
            desired);
    else
        say(out->message, sizeof(out->message), "no rescale: %d replicas meet the targets",
            desired);
}

/* url.QueryEscape. */
static void
query_escape(struct cm_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            cm_buf_addc(out, (char)c);
        } else if (c == ' ') {
            cm_buf_addc(out, '+');
        } else {
            cm_buf_addc(out, '%');
            cm_buf_addc(out, hex[c >> 4]);
            cm_buf_addc(out, hex[c & 15]);
        }
    }
}

/* ?k=v&k=v with the parameters that are not empty, keys in order (url.Values.Encode). */
static void
query(struct cm_buf *out, const char *k1, const char *v1, const char *k2, const char *v2)
{
    char sep = '?';

    if (v1 && *v1) {
        cm_buf_addf(out, "%c%s=", sep, k1);
        query_escape(out, v1);
        sep = '&';
    }
    if (v2 && *v2) {
        cm_buf_addf(out, "%c%s=", sep, k2);
        query_escape(out, v2);
    }
}

int
cm_hpa_request(const struct cm_hpa *h, const struct cm_hpa_metric *m, const char *version,
               const char *pod_selector, struct cm_buf *out)
{
    const struct cm_resource *r;
    const char *slash, *group;
    char g[256];

    switch (m->source) {
    case CM_HPA_PODS:
        cm_buf_addf(out, "/apis/custom.metrics.k8s.io/%s/namespaces/%s/pods/%%2A/%s", version,
                    h->ns, m->name);
        query(out, "labelSelector", pod_selector, "metricLabelSelector", m->selector);
        return 0;
    case CM_HPA_OBJECT:
        slash = strchr(m->object_api_version, '/');
        group = "";
        if (slash != NULL) {
            snprintf(g, sizeof(g), "%.*s", (int)(slash - m->object_api_version),
                     m->object_api_version);
            group = g;
        }
        r = cm_resource_by_kind(group, m->object_kind);
        if (r == NULL)
            return -1;
        if (r == cm_resource_namespaces())   /* the HPA's own namespace, whatever the name */
            cm_buf_addf(out, "/apis/custom.metrics.k8s.io/%s/namespaces/%s/metrics/%s", version,
                        h->ns, m->name);
        else if (r->namespaced)
            cm_buf_addf(out, "/apis/custom.metrics.k8s.io/%s/namespaces/%s/%s/%s/%s", version,
                        h->ns, r->group_resource, m->object_name, m->name);
        else
            cm_buf_addf(out, "/apis/custom.metrics.k8s.io/%s/%s/%s/%s", version,
                        r->group_resource, m->object_name, m->name);
        query(out, "metricLabelSelector", m->selector, NULL, NULL);
        return 0;
    case CM_HPA_EXTERNAL: {
        /* client-go lower-cases the resource segment, which is the metric name here */
        const char *p;

        cm_buf_addf(out, "/apis/external.metrics.k8s.io/v1beta1/namespaces/%s/", h->ns);
        for (p = m->name; *p; p++)
            cm_buf_addc(out, (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p));
        query(out, "labelSelector", m->selector, NULL, NULL);
        return 0;
    }
    case CM_HPA_RESOURCE:
        break;
    }
    return -1;
}
