#!/usr/bin/env python3
"""What t/deploy.sh asks of the rendered manifests (kubectl kustomize k8s/).

  deploy-manifests.py check RENDERED --bin CM_BIN --srcdir TOP [--cert-manager]
      prints "ok: ..." / "FAIL: ..." per check of the objects against what
      the server and nginx need; exits 1 on any failure
  deploy-manifests.py podman RENDERED OUT --api HOST:PORT --sa-dir DIR --prefix P --image I --volumes DIR
      writes the Deployment with its ConfigMaps as podman kube play takes
      them, and what the kubelet would add in a cluster (below)
  deploy-manifests.py get RENDERED KIND NAME-PREFIX KEY
      prints the data KEY of a ConfigMap or Secret (decoded)
  deploy-manifests.py prestop RENDERED CONTAINER
      prints the script of the container's preStop hook
  deploy-manifests.py requests RENDERED
      prints each container's memory request in KiB
  deploy-manifests.py examples RENDERED --dir k8s/examples
      checks the example HPA against metrics.yaml; prints "selector NS SEL"

Needs PyYAML (Debian: python3-yaml).
"""
import base64
import os
import re
import subprocess
import sys

import yaml

failures = 0


def ok(what):
    print("ok: " + what)


def fail(what):
    global failures
    failures += 1
    print("FAIL: " + what)


def expect(cond, what):
    (ok if cond else fail)(what)
    return cond


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def find(docs, kind, name=None, prefix=None):
    for d in docs:
        n = d["metadata"]["name"]
        if d["kind"] == kind and (name is None or n == name) and (prefix is None or n.startswith(prefix)):
            return d
    return None


def data_of(obj):
    """A ConfigMap's or Secret's files, as text."""
    out = dict(obj.get("data") or {})
    if obj["kind"] == "Secret":
        out = {k: base64.b64decode(v).decode() for k, v in out.items()}
    return out


def walk(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, path + "." + str(k))
            yield path + "." + str(k), v
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, "%s[%d]" % (path, i))


def under(path, mount):
    return path == mount or path.startswith(mount.rstrip("/") + "/")


def volume_files(docs, vol):
    """The files a configMap or secret volume holds: {name: text}."""
    if "configMap" in vol:
        src = find(docs, "ConfigMap", vol["configMap"]["name"])
    elif "secret" in vol:
        src = find(docs, "Secret", vol["secret"]["secretName"])
    else:
        return None
    return data_of(src) if src else {}


def mount_of(container, path):
    best = None
    for m in container.get("volumeMounts", []):
        if under(path, m["mountPath"]) and (best is None or len(m["mountPath"]) > len(best["mountPath"])):
            best = m
    return best


def tls_paths(conf, key):
    """The files nginx's conf names for key (ssl_certificate, ssl_certificate_key):
    a path as written, or a variable's, resolved through its map's default."""
    paths = []
    for v in re.findall(r"^\s*%s\s+(\S+);" % key, conf, re.M):
        if v.startswith("$"):
            m = re.search(r'^\s*map\s+""\s+\%s\s*\{\s*default\s+(\S+);\s*\}' % v, conf, re.M)
            expect(m is not None, "%s %s is a map with a default path" % (key, v))
            v = m.group(1) if m else v
        paths.append(v)
    return paths


def file_in_mount(docs, volumes, container, path, what):
    """path is a file the container reads: a key of the configMap/secret mounted there."""
    m = mount_of(container, path)
    if not expect(m is not None, "%s %s is under a volume mount of %s" % (what, path, container["name"])):
        return None
    files = volume_files(docs, volumes[m["name"]])
    if files is None:
        fail("%s %s: volume %s holds no files" % (what, path, m["name"]))
        return None
    key = os.path.relpath(path, m["mountPath"])
    expect(key in files, "%s %s is %s of volume %s" % (what, path, key, m["name"]))
    return files.get(key)


def writable_mount(volumes, container, path, what):
    m = mount_of(container, path)
    return expect(m is not None and "emptyDir" in volumes[m["name"]] and not m.get("readOnly"),
                  "%s %s is on a writable emptyDir of %s" % (what, path, container["name"]))


def probe_port(container, port):
    if isinstance(port, int):
        return port
    for p in container.get("ports", []):
        if p.get("name") == port:
            return p["containerPort"]
    return None


def check(args):
    rendered, cm_bin, srcdir = args["rendered"], args["bin"], args["srcdir"]
    docs = load(rendered)
    cert_manager = args.get("cert_manager")
    ns = "custom-metrics"

    # ---- forbidden anywhere
    for d in docs:
        who = "%s %s" % (d["kind"], d["metadata"]["name"])
        for path, v in walk(d):
            key = path.rsplit(".", 1)[-1]
            if key == "insecureSkipTLSVerify":
                fail("%s sets insecureSkipTLSVerify" % who)
            if key in ("hostNetwork", "hostPID", "hostIPC", "privileged") and v:
                fail("%s sets %s" % (who, key))
            if key == "hostPath" or key == "hostPort":
                fail("%s uses %s" % (who, key))
            if key in ("runAsUser", "runAsGroup") and v == 0:
                fail("%s runs as root (%s 0)" % (who, key))
            if key == "add" and ".capabilities" in path:
                fail("%s adds capabilities" % who)
        for s in d.get("subjects", []) or []:
            if s["name"] in ("system:anonymous", "system:unauthenticated", "system:authenticated") or \
               s["kind"] == "Group":
                fail("%s binds %s %s" % (who, s["kind"], s["name"]))
        if "roleRef" in d and d["roleRef"]["name"] in ("cluster-admin", "admin", "edit"):
            fail("%s grants %s" % (who, d["roleRef"]["name"]))
        if d["kind"] in ("Role", "ClusterRole"):
            for r in d["rules"]:
                metrics = set(r.get("apiGroups", [])) <= {"custom.metrics.k8s.io", "external.metrics.k8s.io"}
                # the one write: pushing values through the write API (metrics-writer, bound to no one)
                push = metrics and r.get("resources") == ["values"] and r["verbs"] == ["create"]
                if not push and not (set(r["verbs"]) <= {"get", "list", "watch"} and
                                     ("*" not in r.get("resources", []) or metrics)):
                    fail("%s grants more than reads (%s on %s)" % (who, ",".join(r["verbs"]), r["resources"]))
    ok("no insecureSkipTLSVerify, host namespaces, hostPath, root UID or added capabilities")
    ok("no binding to a group or to anonymous users, no cluster-admin/admin/edit, no role that writes "
       "(but pushing values)")

    # ---- RBAC
    sa = find(docs, "ServiceAccount", "custom-metrics-fcgi")
    expect(sa is not None and sa["metadata"]["namespace"] == ns, "ServiceAccount custom-metrics-fcgi in %s" % ns)
    expect(find(docs, "Namespace", ns) is not None, "Namespace %s" % ns)

    def bound(kind, role_kind, role, subj_ns, subj_name, namespace=None):
        for d in docs:
            if d["kind"] != kind or d["roleRef"]["kind"] != role_kind or d["roleRef"]["name"] != role:
                continue
            if namespace and d["metadata"].get("namespace") != namespace:
                continue
            for s in d["subjects"]:
                if s["kind"] == "ServiceAccount" and s["name"] == subj_name and s.get("namespace") == subj_ns:
                    return True
        return False
    expect(bound("ClusterRoleBinding", "ClusterRole", "custom-metrics-fcgi:objects-reader", ns, "custom-metrics-fcgi"),
           "the objects-reader ClusterRole is bound to the ServiceAccount")
    expect(bound("ClusterRoleBinding", "ClusterRole", "system:auth-delegator", ns, "custom-metrics-fcgi"),
           "system:auth-delegator is bound to the ServiceAccount")
    expect(bound("RoleBinding", "Role", "extension-apiserver-authentication-reader", ns, "custom-metrics-fcgi",
                 namespace="kube-system"),
           "extension-apiserver-authentication-reader is bound in kube-system")
    reader = find(docs, "ClusterRole", "custom-metrics-fcgi:metrics-reader")
    groups = {g for r in (reader or {}).get("rules", []) for g in r["apiGroups"]
              if {"get", "list"} <= set(r["verbs"])}
    expect(groups == {"custom.metrics.k8s.io", "external.metrics.k8s.io"},
           "the metrics-reader ClusterRole reads both metrics groups")
    expect(bound("ClusterRoleBinding", "ClusterRole", "custom-metrics-fcgi:metrics-reader", "kube-system",
                 "horizontal-pod-autoscaler"), "the HPA controller may read the metrics APIs")

    # ---- the Deployment
    dep = find(docs, "Deployment", "custom-metrics-fcgi")
    if not expect(dep is not None, "Deployment custom-metrics-fcgi"):
        return
    pod = dep["spec"]["template"]["spec"]
    sc = pod.get("securityContext", {})
    expect(sc.get("runAsNonRoot") is True and sc.get("runAsUser", 0) > 0 and
           sc.get("seccompProfile", {}).get("type") == "RuntimeDefault",
           "the pod runs as non-root UID %s with seccomp RuntimeDefault" % sc.get("runAsUser"))
    expect(pod.get("serviceAccountName") == "custom-metrics-fcgi", "the pod uses the ServiceAccount")
    volumes = {v["name"]: v for v in pod["volumes"]}
    containers = {c["name"]: c for c in pod["containers"]}
    expect(set(containers) == {"server", "nginx"}, "two containers, server and nginx")
    expect(len({c["image"] for c in pod["containers"]}) == 1, "both containers run one image")
    version = subprocess.run([cm_bin, "--version"], capture_output=True, text=True).stdout.split()[-1]
    expect(pod["containers"][0]["image"] == "custom-metrics-fcgi:" + version,
           "the image is custom-metrics-fcgi:%s, as make image names it" % version)
    mounted = set()
    for c in pod["containers"]:
        csc = c.get("securityContext", {})
        expect(csc.get("allowPrivilegeEscalation") is False and csc.get("readOnlyRootFilesystem") is True and
               "ALL" in csc.get("capabilities", {}).get("drop", []),
               "%s: no privilege escalation, read-only root, capabilities dropped" % c["name"])
        res = c.get("resources", {})
        expect("memory" in res.get("requests", {}) and "cpu" in res.get("requests", {}) and
               "memory" in res.get("limits", {}), "%s: requests and a memory limit" % c["name"])
        for m in c.get("volumeMounts", []):
            mounted.add(m["name"])
            expect(m["name"] in volumes, "%s mounts volume %s, which exists" % (c["name"], m["name"]))
    expect(mounted == set(volumes), "every volume is mounted (unused: %s)" % (", ".join(sorted(set(volumes) - mounted)) or "none"))

    # server: command and args are real, paths are mounted
    srv = containers["server"]
    cmd = srv["command"] + srv.get("args", [])
    expect(cmd[:2] == ["custom-metrics-fcgi", "serve"], "server runs custom-metrics-fcgi serve")
    flags = {}
    for a in cmd[2:]:
        m = re.match(r"^(--[a-z-]+)(?:=(.*))?$", a)
        if not expect(m is not None, "server arg %s is --flag=value" % a):
            continue
        flags[m.group(1)] = m.group(2)
        # an unknown flag or a bad value makes the parser exit 2; anything it
        # accepts goes on to load the (missing) config and exits 1
        rc = subprocess.run([cm_bin, "check", "--config", "/nonexistent/metrics.yaml", a],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        expect(rc == 1, "server arg %s is accepted by custom-metrics-fcgi (exit %d)" % (a, rc))
    for f in ("--objects", "--kubeconfig", "--master-url"):
        expect(f not in flags, "server watches its own cluster (no %s)" % f)
    config = file_in_mount(docs, volumes, srv, flags.get("--config", ""), "--config")
    expect(config is not None and config == open(os.path.join(srcdir, "k8s/common/metrics.yaml")).read(),
           "the config ConfigMap is k8s/common/metrics.yaml")
    if cert_manager:        # the token's Secret is made by hand (README), not rendered
        m = mount_of(srv, flags.get("--write-token-file", ""))
        expect(m is not None and volumes[m["name"]].get("secret", {}).get("secretName") ==
               "custom-metrics-fcgi-write-token", "--write-token-file is in the Secret custom-metrics-fcgi-write-token")
    else:
        token = file_in_mount(docs, volumes, srv, flags.get("--write-token-file", ""), "--write-token-file")
        expect(token is not None and len(token.strip()) >= 32, "the write token is at least 32 characters")
    sock = flags.get("--socket", "")
    writable_mount(volumes, srv, os.path.dirname(sock), "the socket's directory")
    expect((mount_of(srv, sock) or {}).get("mountPath", os.path.dirname(sock)) != os.path.dirname(sock),
           "the socket's directory is the server's own, below the emptyDir (it makes it 0750)")
    writable_mount(volumes, srv, flags.get("--state-dir", ""), "--state-dir")
    if "--cache-dir" in flags:
        writable_mount(volumes, srv, flags["--cache-dir"], "--cache-dir")
    used = {flags.get(f) for f in ("--config", "--write-token-file", "--socket", "--state-dir", "--cache-dir")}
    for m in srv.get("volumeMounts", []):
        expect(any(p and under(p, m["mountPath"]) for p in used),
               "server mount %s is read or written by the server" % m["mountPath"])

    # nginx: its config is nginx/ verbatim, its paths are mounted
    ngx = containers["nginx"]
    ncmd = ngx["command"] + ngx.get("args", [])
    expect(ncmd[0] == "nginx" and "-c" in ncmd, "nginx runs nginx -c FILE")
    conf_path = ncmd[ncmd.index("-c") + 1]
    conf = file_in_mount(docs, volumes, ngx, conf_path, "nginx -c") or ""
    expect(conf == open(os.path.join(srcdir, "nginx/pod.conf")).read(), "nginx.conf is nginx/pod.conf verbatim")
    expect("-e" in ncmd and ncmd[ncmd.index("-e") + 1] == "stderr", "nginx opens no log file of its own (-e stderr)")
    for inc in re.findall(r"^\s*include\s+(\S+);", conf, re.M):
        body = file_in_mount(docs, volumes, ngx, inc, "include")
        expect(body == open(os.path.join(srcdir, "nginx", os.path.basename(inc))).read(),
               "include %s is nginx/%s verbatim" % (inc, os.path.basename(inc)))
    for key in ("ssl_certificate", "ssl_certificate_key"):
        for p in tls_paths(conf, key):
            tlsvol = mount_of(ngx, p)
            if cert_manager:
                expect(tlsvol is not None and "secret" in volumes[tlsvol["name"]] and
                       os.path.basename(p) in ("tls.crt", "tls.key"), "%s %s is in the TLS Secret" % (key, p))
            else:
                file_in_mount(docs, volumes, ngx, p, key)
    for key in ("pid", "client_body_temp_path", "fastcgi_temp_path", "proxy_temp_path", "scgi_temp_path",
                "uwsgi_temp_path"):
        for p in re.findall(r"^\s*%s\s+(\S+);" % key, conf, re.M):
            writable_mount(volumes, ngx, p if key != "pid" else os.path.dirname(p), "nginx %s" % key)
    ups = re.findall(r"server\s+unix:(\S+);", conf)
    expect(sock in ups, "nginx's upstream is the server's --socket (%s)" % sock)
    for u in ups:       # every socket nginx uses is in the server's socket directory
        expect(os.path.dirname(u) == os.path.dirname(sock), "nginx's socket %s is in the server's directory" % u)
    ms, mn = mount_of(srv, sock), mount_of(ngx, sock)
    expect(ms is not None and mn is not None and ms["name"] == mn["name"] and ms["mountPath"] == mn["mountPath"],
           "both containers mount the socket's volume at the same path")
    pid = re.findall(r"^pid\s+(\S+);", conf, re.M)
    pre = " ".join(srv.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", []))
    expect(pid and pid[0] in pre and mount_of(srv, pid[0]) and mount_of(srv, pid[0])["name"] == mn["name"],
           "the server's preStop waits for nginx's pid file on the shared volume")
    listen = [int(p) for p in re.findall(r"^\s*listen\s+(\d+)\s+ssl", conf, re.M)]
    https = probe_port(ngx, "https")
    expect(listen == [https], "nginx listens on the container port https (%s)" % https)
    for c in pod["containers"]:
        for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
            p = c.get(kind)
            if not p:
                continue
            port = probe_port(c, (p.get("httpGet") or p.get("tcpSocket"))["port"])
            expect(port == https, "%s %s reaches nginx's port" % (c["name"], kind))
            if "httpGet" in p:
                expect(p["httpGet"]["scheme"] == "HTTPS" and
                       p["httpGet"]["path"] == {"readinessProbe": "/readyz"}.get(kind, "/livez"),
                       "%s %s is GET %s over HTTPS" % (c["name"], kind, p["httpGet"]["path"]))
    expect("readinessProbe" in ngx and "readinessProbe" in srv, "both containers wait for /readyz")
    mcf = open(os.path.join(srcdir, "nginx/custom-metrics.conf")).read()
    longest = max(int(t) for t in re.findall(r"^fastcgi_read_timeout\s+(\d+)s;", mcf, re.M))
    sleep = re.findall(r"sleep (\d+);", " ".join(ngx.get("lifecycle", {}).get("preStop", {})
                                                .get("exec", {}).get("command", [])))
    grace = pod.get("terminationGracePeriodSeconds", 30)
    expect(grace > longest + sum(int(s) for s in sleep),
           "terminationGracePeriodSeconds %d > the longest request (%d s) + nginx's preStop sleep" % (grace, longest))
    expect(int(flags.get("--shutdown-timeout", "10")) >= longest, "the server lets requests of %d s finish" % longest)
    ru = dep["spec"]["strategy"].get("rollingUpdate", {})
    expect(dep["spec"]["strategy"]["type"] == "RollingUpdate" and ru.get("maxUnavailable") == 0 and
           ru.get("maxSurge", 0) >= 1, "a rolling update starts the new pod before the old one stops")
    if config and "push:" in config:
        expect(dep["spec"].get("replicas") == 1, "one replica while metrics.yaml has push sources")
    pdb = find(docs, "PodDisruptionBudget", "custom-metrics-fcgi")
    labels = dep["spec"]["template"]["metadata"]["labels"]
    expect(pdb is not None and pdb["spec"].get("maxUnavailable") == 1 and
           pdb["spec"]["selector"]["matchLabels"].items() <= labels.items(),
           "the PodDisruptionBudget selects the pods and never blocks a drain of one replica")

    # ---- Service and APIServices
    svc = find(docs, "Service", "custom-metrics-fcgi")
    expect(svc["spec"].get("type", "ClusterIP") == "ClusterIP" and svc["spec"].get("clusterIP") != "None",
           "the Service has a ClusterIP")
    expect(svc["spec"]["selector"].items() <= labels.items(), "the Service selects the pods")
    ports = {p["port"]: p for p in svc["spec"]["ports"]}
    apis = [d for d in docs if d["kind"] == "APIService"]
    expect(sorted(a["metadata"]["name"] for a in apis) ==
           ["v1beta1.custom.metrics.k8s.io", "v1beta1.external.metrics.k8s.io", "v1beta2.custom.metrics.k8s.io"],
           "the three APIServices")
    prio = {}
    for a in apis:
        s = a["spec"]
        name = a["metadata"]["name"]
        expect(name == "%s.%s" % (s["version"], s["group"]), "%s is <version>.<group>" % name)
        expect(s["service"]["name"] == svc["metadata"]["name"] and s["service"]["namespace"] == ns,
               "%s points at the Service" % name)
        p = ports.get(s["service"].get("port", 443))
        expect(p is not None and p["targetPort"] in ("https", https) and p["name"] == "https",
               "%s's port %s is the Service's, to the pod's https port" % (name, s["service"].get("port", 443)))
        prio.setdefault(s["group"], []).append((s["versionPriority"], s["version"]))
        if cert_manager:
            ann = a["metadata"].get("annotations", {}).get("cert-manager.io/inject-ca-from", "")
            crt = find(docs, "Certificate", ann.split("/")[-1]) if "/" in ann else None
            expect(crt is not None and ann.split("/")[0] == crt["metadata"]["namespace"] and
                   "caBundle" not in s, "%s gets its caBundle from cert-manager (%s)" % (name, ann))
        else:
            expect("caBundle" in s, "%s has a caBundle" % name)
    expect(max(prio["custom.metrics.k8s.io"])[1] == "v1beta2", "v1beta2 is the preferred custom metrics version")

    tls_vol = volumes[mount_of(ngx, tls_paths(conf, "ssl_certificate")[0])["name"]]
    tls_name = tls_vol["secret"]["secretName"]
    if cert_manager:
        crts = [d for d in docs if d["kind"] == "Certificate" and d["spec"]["secretName"] == tls_name]
        host = "%s.%s.svc" % (svc["metadata"]["name"], ns)
        expect(len(crts) == 1 and host in crts[0]["spec"]["dnsNames"] and
               "server auth" in crts[0]["spec"].get("usages", []) and
               crts[0]["spec"].get("isCA") is not True,
               "a Certificate for %s (server auth) is the Secret %s nginx serves" % (host, tls_name))
        for c in crts:
            ref = c["spec"]["issuerRef"]
            iss = find(docs, ref.get("kind", "Issuer"), ref["name"])
            expect(iss is not None and "ca" in iss["spec"], "the serving certificate's issuer is a CA Issuer")
        return
    # the caBundle verifies the certificate nginx serves, for the name the aggregator checks
    secret = data_of(find(docs, "Secret", tls_name))
    tmp = args["tmp"]
    with open(os.path.join(tmp, "bundle.pem"), "w") as f:
        f.write(base64.b64decode(apis[0]["spec"]["caBundle"]).decode())
    with open(os.path.join(tmp, "served.pem"), "w") as f:
        f.write(secret["tls.crt"])
    expect(len({a["spec"]["caBundle"].replace("\n", "") for a in apis}) == 1, "one caBundle for all three")
    host = "%s.%s.svc" % (svc["metadata"]["name"], ns)
    r = subprocess.run(["openssl", "verify", "-CAfile", os.path.join(tmp, "bundle.pem"), "-purpose", "sslserver",
                        "-verify_hostname", host, os.path.join(tmp, "served.pem")],
                       capture_output=True, text=True)
    expect(r.returncode == 0, "openssl verify: the caBundle verifies the served certificate for %s (%s)" %
           (host, (r.stdout + r.stderr).strip().replace("\n", " ")))
    txt = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", os.path.join(tmp, "served.pem")],
                         capture_output=True, text=True).stdout
    expect("ecdsa-with-SHA256" in txt or "sha256WithRSAEncryption" in txt, "the certificate is signed with SHA-256")
    expect("TLS Web Server Authentication" in txt, "the certificate's extended key usage is serverAuth")
    expect("CA:TRUE" not in txt, "the served certificate is not a CA")
    expect(secret.get("ca.crt") == base64.b64decode(apis[0]["spec"]["caBundle"]).decode(),
           "the caBundle is the Secret's ca.crt (one run of gen-certs)")
    expect("ca.key" not in secret, "the CA's key stays out of the cluster")


def atomic_dir(root, name, files, mode, gid):
    """A volume laid out as the kubelet's atomic writer lays out ConfigMap and
    Secret volumes: each file a symlink to ..data/FILE, ..data a symlink to a
    timestamped directory; group gid (fsGroup), the volume's mode."""
    top = os.path.join(root, name)
    stamp = "..2026_01_01_00_00_00.000000000"
    os.makedirs(os.path.join(top, stamp))
    for k, v in files.items():
        path = os.path.join(top, stamp, k)
        with open(path, "w") as f:
            f.write(v)
        os.chmod(path, mode)
        os.chown(path, 0, gid)
        os.symlink(os.path.join("..data", k), os.path.join(top, k))
    os.symlink(stamp, os.path.join(top, "..data"))
    for d in (top, os.path.join(top, stamp)):
        os.chmod(d, 0o755)
    return top


def podman(args):
    """The rendered Deployment as podman kube play runs it, with what the
    kubelet would do made explicit: each ConfigMap and Secret volume becomes a
    hostPath directory laid out as the kubelet lays it out (symlinks, fsGroup,
    defaultMode; podman 4.3 itself crashes on Secret volumes), and the
    ServiceAccount's token and CA and the KUBERNETES_SERVICE_* variables point
    the server at the kube-apiserver double.  podman names the pod and the
    emptyDirs after the YAML's names, which get --prefix so that runs side by
    side keep apart; --image replaces the image; --volumes DIR holds the
    directories."""
    docs = load(args["rendered"])
    host, port = args["api"].rsplit(":", 1)
    pre, root = args["prefix"], args["volumes"]
    dep = find(docs, "Deployment", "custom-metrics-fcgi")
    dep["metadata"]["name"] = pre + dep["metadata"]["name"]
    pod = dep["spec"]["template"]["spec"]
    gid = pod.get("securityContext", {}).get("fsGroup", 0)
    pod["restartPolicy"] = "Never"      # the test stops containers and looks at how they ended
    for v in pod["volumes"]:
        files = volume_files(docs, v)
        if files is not None:
            src = v.get("secret") or v.get("configMap")
            path = atomic_dir(root, v["name"], files, src.get("defaultMode", 0o644), gid)
            v.pop("secret", None)
            v.pop("configMap", None)
            v["hostPath"] = {"path": path, "type": "Directory"}
        v["name"] = pre + v["name"]
    sa = {}
    for f in ("token", "ca.crt", "namespace"):
        with open(os.path.join(args["sa_dir"], f)) as fh:
            sa[f] = fh.read()
    pod["volumes"].append({"name": pre + "kube-api-access",
                           "hostPath": {"path": atomic_dir(root, "kube-api-access", sa, 0o644, gid),
                                        "type": "Directory"}})
    for c in pod["containers"]:
        c["image"] = args["image"]
        for m in c.get("volumeMounts", []):
            m["name"] = pre + m["name"]
        if c["name"] == "server":
            c.setdefault("env", []).extend([{"name": "KUBERNETES_SERVICE_HOST", "value": host},
                                            {"name": "KUBERNETES_SERVICE_PORT", "value": port}])
            c["volumeMounts"].append({"name": pre + "kube-api-access", "readOnly": True,
                                      "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"})
    with open(args["out"], "w") as f:
        yaml.safe_dump(dep, f)


def requests(args):
    """Each container's memory request in KiB: NAME KIB per line."""
    units = {"Ki": 1, "Mi": 1024, "Gi": 1024 * 1024}
    dep = find(load(args["rendered"]), "Deployment", "custom-metrics-fcgi")
    for c in dep["spec"]["template"]["spec"]["containers"]:
        q = c["resources"]["requests"]["memory"]
        print(c["name"], int(q[:-2]) * units[q[-2:]])


def examples(args):
    """k8s/examples: the HPA scales the example Deployment on a pod metric
    that the rendered metrics.yaml declares for pods."""
    docs = load(args["rendered"])
    ex = []
    for f in sorted(os.listdir(args["dir"])):
        if f.endswith(".yaml"):
            ex += load(os.path.join(args["dir"], f))
    config = yaml.safe_load(data_of(find(docs, "ConfigMap", prefix="custom-metrics-fcgi-config"))["metrics.yaml"])
    declared = {m["name"] for m in config.get("metrics", []) if "pods" in m["resources"]}
    for hpa in (d for d in ex if d["kind"] == "HorizontalPodAutoscaler"):
        ref = hpa["spec"]["scaleTargetRef"]
        target = find(ex, ref["kind"], ref["name"])
        expect(hpa["apiVersion"] == "autoscaling/v2" and target is not None and
               target["metadata"]["namespace"] == hpa["metadata"]["namespace"],
               "HPA %s scales the example %s %s" % (hpa["metadata"]["name"], ref["kind"], ref["name"]))
        for m in hpa["spec"]["metrics"]:
            expect(m["type"] == "Pods" and m["pods"]["metric"]["name"] in declared,
                   "HPA %s's metric %s is a pod metric of metrics.yaml" % (hpa["metadata"]["name"],
                                                                          m.get("pods", {}).get("metric")))
        if target:
            sel = target["spec"]["selector"]["matchLabels"]
            print("selector %s %s" % (target["metadata"]["namespace"],
                                      ",".join("%s=%s" % kv for kv in sorted(sel.items()))))


def prestop(args):
    """The shell script of a container's preStop hook ([/bin/sh, -c, SCRIPT])."""
    dep = find(load(args["rendered"]), "Deployment", "custom-metrics-fcgi")
    for c in dep["spec"]["template"]["spec"]["containers"]:
        if c["name"] == args["container"]:
            cmd = c["lifecycle"]["preStop"]["exec"]["command"]
            assert cmd[:2] == ["/bin/sh", "-c"], cmd
            sys.stdout.write(cmd[2])


def get(args):
    obj = find(load(args["rendered"]), args["kind"], prefix=args["name"])
    sys.stdout.write(data_of(obj)[args["key"]])


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    cmd, a = argv[1], {"rendered": argv[2]}
    rest = argv[3:]
    if cmd == "podman":
        a["out"], rest = rest[0], rest[1:]
    if cmd == "prestop":
        a["container"], rest = rest[0], []
    if cmd == "get":
        a["kind"], a["name"], a["key"] = rest
        rest = []
    while rest:
        k = rest.pop(0).lstrip("-").replace("-", "_")
        a[k] = True if k == "cert_manager" else rest.pop(0)
    {"check": check, "podman": podman, "get": get, "requests": requests, "examples": examples,
     "prestop": prestop}[cmd](a)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
