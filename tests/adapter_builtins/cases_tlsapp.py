"""Caddyfiles exercising the TLS app builder (Caddy's tlsapp.go): automation policies, issuers
with global defaults, loaders, on-demand, and policy consolidation."""

TLSAPP_CASES: dict[str, str] = {
    "email_default_issuers": "{\n\temail me@a.com\n}\na.com {\n\trespond x\n}\nlocalhost {\n\trespond y\n}\n",
    "acme_ca_single_issuer": "{\n\tacme_ca https://ca.example/dir\n}\na.com {\n\trespond x\n}\n",
    "acme_ca_and_tls_internal": "{\n\tacme_ca https://ca.example/dir\n}\na.com {\n\ttls internal\n}\nb.com {\n\trespond x\n}\n",
    "local_certs_sites": "{\n\tlocal_certs\n}\na.com, b.com {\n\trespond x\n}\n:8080 {\n\trespond y\n}\n",
    "key_type_and_site_key_type": "{\n\tkey_type ed25519\n}\na.com {\n\ttls {\n\t\tkey_type p384\n\t}\n}\nb.com {\n\trespond x\n}\n",
    "cert_issuer_template_with_site_ca": "{\n\tcert_issuer acme {\n\t\temail g@a.com\n\t}\n}\n"
                                         "a.com {\n\ttls {\n\t\tca https://other.example\n\t}\n}\n",
    "ports_fill_alt_ports": "{\n\thttp_port 8080\n\thttps_port 8443\n\temail me@a.com\n}\na.com {\n\trespond x\n}\n",
    "bind_sets_bind_host": "{\n\temail me@a.com\n}\na.com {\n\tbind 10.0.0.1\n\ttls {\n\t\tca https://ca.example\n\t}\n}\n",
    "default_bind_bind_host": "{\n\tdefault_bind 10.0.0.2\n\temail me@a.com\n}\na.com {\n\trespond x\n}\n",
    "public_and_internal_split": "a.com, localhost, 10.0.0.1 {\n\ttls {\n\t\ton_demand\n\t}\n}\n",
    "wildcard_and_sub": "*.a.com {\n\ttls internal\n}\nx.a.com {\n\trespond x\n}\n",
    "hostless_key_shares_hosts": ":443, a.com, localhost {\n\trespond x\n}\n",
    "hostless_with_global_opts": "{\n\tkey_type p256\n}\n:443, a.com {\n\trespond x\n}\nb.com {\n\trespond y\n}\n",
    "force_automate_wildcard": "*.a.com {\n\ttls internal\n}\nx.a.com {\n\ttls force_automate\n}\n",
    "on_demand_global_and_site": "{\n\ton_demand_tls {\n\t\task http://localhost:9/ok\n\t}\n}\n"
                                  ":443 {\n\ttls {\n\t\ton_demand\n\t}\n}\n",
    "cert_lifetime_and_eab": "{\n\tcert_lifetime 7d\n\tacme_eab {\n\t\tkey_id k\n\t\tmac_key m\n\t}\n}\na.com {\n\trespond x\n}\n",
    "preferred_chains_global": "{\n\tpreferred_chains smallest\n}\na.com {\n\trespond x\n}\n",
    "ocsp_and_ratio": "{\n\tocsp_stapling off\n\trenewal_window_ratio 0.25\n}\na.com {\n\trespond x\n}\n",
    "storage_and_intervals": "{\n\tstorage_clean_interval off\n\trenew_interval 1h\n\tstorage_check off\n}\n"
                             "a.com {\n\trespond x\n}\n",
    "tls_resolvers_no_dns": "{\n\ttls_resolvers 1.1.1.1\n}\na.com {\n\trespond x\n}\n",
    "cert_loaders_grouped": "a.com {\n\ttls a.crt a.key\n}\nb.com {\n\ttls b.crt b.key\n}\nc.com {\n\ttls {\n"
                            "\t\tload /certs\n\t}\n}\nd.com {\n\ttls {\n\t\tload /more\n\t}\n}\n",
    "skip_trust_no_cas": "{\n\tskip_install_trust\n}\na.com {\n\trespond x\n}\n",
    "skip_trust_internal_issuer_cas": "{\n\tskip_install_trust\n}\na.com {\n\ttls {\n\t\tissuer internal {\n"
                                      "\t\t\tca foo\n\t\t}\n\t}\n}\nb.com {\n\ttls internal\n}\n",
    "skip_trust_off_internal_http": "{\n\tskip_install_trust\n\tauto_https off\n}\nhttp://a.com {\n\ttls {\n"
                                    "\t\tissuer internal {\n\t\t\tca foo\n\t\t}\n\t}\n}\n",
    "skip_trust_pki_and_issuer": "{\n\tskip_install_trust\n\tpki {\n\t\tca foo {\n\t\t\troot_cn X\n\t\t}\n\t\tca zz\n"
                                 "\t}\n}\na.com {\n\ttls {\n\t\tissuer internal {\n\t\t\tca foo\n\t\t}\n\t}\n}\n",
    "skip_trust_global_internal": "{\n\tskip_install_trust\n\tcert_issuer internal {\n\t\tca gl\n\t}\n}\na.com {\n"
                                  "\trespond x\n}\n",
    "internal_issuer_ca_no_skip": "a.com {\n\ttls {\n\t\tissuer internal {\n\t\t\tca foo\n\t\t}\n\t}\n}\n",
    "skip_trust_auto_https_off": "{\n\tskip_install_trust\n\tauto_https off\n}\na.com {\n\trespond x\n}\n",
    "http_only_no_policy": "http://a.com {\n\ttls internal\n}\n",
    "email_tls_shortcut": "a.com {\n\ttls me@a.com\n}\nb.com {\n\ttls other@a.com\n}\n",
    "subject_bad": "{\n\tlocal_certs\n}\n\"a b.com\" {\n\trespond x\n}\n",
    "ip_site_internal": "10.1.2.3 {\n\trespond x\n}\n",
    "ech_with_sites": "{\n\tech ech.a.com\n}\na.com {\n\trespond x\n}\n",
    "two_sites_same_settings": "a.com {\n\ttls internal\n}\nb.com {\n\ttls internal\n}\nc.com {\n\trespond x\n}\n",
    "get_certificate_wildcard": "*.a.com {\n\ttls {\n\t\tget_certificate http https://x/y\n\t}\n}\nb.a.com {\n\trespond x\n}\n",
    "combo_local_certs_email_site": "{\n\tlocal_certs\n\temail g@a.com\n}\na.com {\n\ttls me@a.com\n}\nb.com {\n"
                                    "\trespond x\n}\n",
    "combo_cert_issuer_internal_and_acme_site": "{\n\tcert_issuer internal\n}\na.com {\n\ttls {\n\t\tca https://x\n"
                                                "\t}\n}\nb.com, c.com {\n\trespond x\n}\n",
    "combo_wildcards_shadow": "{\n\temail g@a.com\n}\n*.a.com {\n\ttls internal\n}\nx.a.com {\n\ttls {\n"
                              "\t\tkey_type p384\n\t}\n}\ny.a.com, z.b.com {\n\trespond y\n}\n:443 {\n\trespond c\n}\n",
    "combo_on_demand_catch_all": "{\n\tlocal_certs\n}\n:443 {\n\ttls {\n\t\ton_demand\n\t}\n}\na.com {\n\trespond a\n}\n",
    "combo_http_port_sites": "{\n\thttp_port 8080\n}\na.com:8080 {\n\trespond a\n}\nb.com {\n\ttls {\n"
                             "\t\tca https://x\n\t}\n}\n",
    "combo_default_bind_tls_ca": "{\n\tdefault_bind 10.0.0.1\n}\na.com {\n\ttls {\n\t\tissuer acme\n\t}\n}\n",
    "combo_internal_ip_and_public": "1.2.3.4, a.com {\n\trespond x\n}\n",
    "combo_double_wildcard_on_demand": "*.*.a.com {\n\ttls {\n\t\ton_demand\n\t}\n}\n",
    "combo_tailscale": "x.ts.net, a.com {\n\trespond x\n}\n",
    "combo_acme_ca_root_and_eab_site": "{\n\tacme_ca_root /g.pem\n}\na.com {\n\ttls {\n\t\tca_root /l.pem\n"
                                       "\t\teab k m\n\t}\n}\n",
    "get_certificate_tailscale": "x.ts.net {\n\ttls {\n\t\tget_certificate tailscale\n\t}\n}\n",
    "get_certificate_tailscale_arg": "x.ts.net {\n\ttls {\n\t\tget_certificate tailscale x\n\t}\n}\n",
    "get_certificate_http_block": "a.com {\n\ttls {\n\t\tget_certificate http https://x {\n\t\t\ty\n\t\t}\n\t}\n}\n",
    "get_certificate_unknown": "a.com {\n\ttls {\n\t\tget_certificate nosuch\n\t}\n}\n",
    "acme_issuer_everything": "a.com {\n\ttls {\n\t\tissuer acme {\n\t\t\tdir https://ca.example\n"
                              "\t\t\ttest_dir https://test.example\n\t\t\temail a@b.c\n\t\t\tprofile shortlived\n"
                              "\t\t\tlifetime 6d\n\t\t\ttimeout 1m\n\t\t\tdisable_tlsalpn_challenge\n"
                              "\t\t\talt_http_port 8080\n\t\t\teab k m\n\t\t\ttrusted_roots /a.pem /b.pem\n"
                              "\t\t\tdistributed false\n\t\t\tpreferred_chains {\n\t\t\t\tany_common_name X\n"
                              "\t\t\t}\n\t\t}\n\t}\n}\n",
    "acme_issuer_dir_twice": "a.com {\n\ttls {\n\t\tissuer acme https://x {\n\t\t\tdir https://y\n\t\t}\n\t}\n}\n",
    "acme_issuer_bad_port": "a.com {\n\ttls {\n\t\tissuer acme {\n\t\t\talt_http_port x\n\t\t}\n\t}\n}\n",
    "acme_issuer_bad_lifetime": "a.com {\n\ttls {\n\t\tissuer acme {\n\t\t\tlifetime -1h\n\t\t}\n\t}\n}\n",
    "acme_issuer_distributed_true": "a.com {\n\ttls {\n\t\tissuer acme {\n\t\t\tdistributed true\n\t\t}\n\t}\n}\n",
    "acme_issuer_unknown": "a.com {\n\ttls {\n\t\tissuer acme {\n\t\t\tnope\n\t\t}\n\t}\n}\n",
    "acme_issuer_dns_unknown": "a.com {\n\ttls {\n\t\tissuer acme {\n\t\t\tdns nosuch tok\n\t\t}\n\t}\n}\n",
    "acme_issuer_dns_opts_no_provider": "a.com {\n\ttls {\n\t\tissuer acme {\n\t\t\tpropagation_delay 2m\n"
                                        "\t\t\tpropagation_timeout -1\n\t\t\tdns_ttl 1m\n\t\t\tresolvers 1.1.1.1\n"
                                        "\t\t\tdns_challenge_override_domain x.com\n\t\t}\n\t}\n}\n",
    "internal_issuer_ca": "a.com {\n\ttls {\n\t\tissuer internal {\n\t\t\tca myca\n\t\t}\n\t}\n}\n",
    "internal_issuer_bad_lifetime": "a.com {\n\ttls {\n\t\tissuer internal {\n\t\t\tlifetime x\n\t\t}\n\t}\n}\n",
    "internal_issuer_unknown": "a.com {\n\ttls {\n\t\tissuer internal {\n\t\t\tnope\n\t\t}\n\t}\n}\n",
    "zerossl_no_key": "a.com {\n\ttls {\n\t\tissuer zerossl\n\t}\n}\n",
    "zerossl_unknown": "a.com {\n\ttls {\n\t\tissuer zerossl K {\n\t\t\tnope\n\t\t}\n\t}\n}\n",
    "issuer_unknown_module": "a.com {\n\ttls {\n\t\tissuer nosuch\n\t}\n}\n",
    "two_issuers": "a.com {\n\ttls {\n\t\tissuer zerossl K\n\t\tissuer acme\n\t}\n}\n",
    "tls_propagation_with_ca": "a.com {\n\ttls {\n\t\tca https://x\n\t\tpropagation_delay 1m\n\t}\n}\n",
    "client_auth_modes": "a.com {\n\ttls {\n\t\tclient_auth {\n\t\t\tmode request\n\t\t\ttrust_pool pki_root {\n"
                         "\t\t\t\tauthority local\n\t\t\t}\n\t\t}\n\t}\n}\n",
    "client_auth_mode_two_args": "a.com {\n\ttls {\n\t\tclient_auth {\n\t\t\tmode a b\n\t\t}\n\t}\n}\n",
    "client_auth_unknown": "a.com {\n\ttls {\n\t\tclient_auth {\n\t\t\tnope\n\t\t}\n\t}\n}\n",
    "client_auth_pool_combined": "a.com {\n\ttls {\n\t\tclient_auth {\n\t\t\ttrust_pool combined {\n"
                                 "\t\t\t\tsource inline {\n\t\t\t\t\ttrust_der AA\n\t\t\t\t}\n"
                                 "\t\t\t\tsource system\n\t\t\t}\n\t\t}\n\t}\n}\n",
    "client_auth_pool_empty_inline": "a.com {\n\ttls {\n\t\tclient_auth {\n\t\t\ttrust_pool inline\n\t\t}\n\t}\n}\n",
    "client_auth_pool_system_args": "a.com {\n\ttls {\n\t\tclient_auth {\n\t\t\ttrust_pool system x\n\t\t}\n\t}\n}\n",
    "client_auth_pem_missing": "a.com {\n\ttls {\n\t\tclient_auth {\n\t\t\ttrusted_leaf_cert_file /nonexistent.pem\n"
                               "\t\t}\n\t}\n}\n",
    "client_auth_http_pool": "a.com {\n\ttls {\n\t\tclient_auth {\n\t\t\ttrust_pool http {\n"
                             "\t\t\t\tendpoints https://ca.example/roots\n\t\t\t}\n\t\t}\n\t}\n}\n",
    "client_auth_http_pool_tls": "a.com {\n\ttls {\n\t\tclient_auth {\n\t\t\ttrust_pool http https://a/r {\n"
                                 "\t\t\t\ttls {\n\t\t\t\t\tinsecure_skip_verify\n\t\t\t\t\thandshake_timeout 5s\n"
                                 "\t\t\t\t\tserver_name x\n\t\t\t\t\trenegotiation once\n"
                                 "\t\t\t\t\tca file /c.pem\n\t\t\t\t}\n\t\t\t}\n\t\t}\n\t}\n}\n",
    "client_auth_http_pool_bad_reneg": "a.com {\n\ttls {\n\t\tclient_auth {\n\t\t\ttrust_pool http {\n"
                                       "\t\t\t\ttls {\n\t\t\t\t\trenegotiation always\n\t\t\t\t}\n\t\t\t}\n"
                                       "\t\t}\n\t}\n}\n",
    "client_auth_storage_pool_module": "a.com {\n\ttls {\n\t\tclient_auth {\n\t\t\ttrust_pool storage k1 {\n"
                                       "\t\t\t\tstorage file_system /data\n\t\t\t}\n\t\t}\n\t}\n}\n",
    "client_auth_storage_pool": "a.com {\n\ttls {\n\t\tclient_auth {\n\t\t\ttrust_pool storage {\n"
                                "\t\t\t\tkeys a b\n\t\t\t}\n\t\t}\n\t}\n}\n",
}
