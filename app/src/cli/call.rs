//! `pold query call|methods` and `pold tx call|msgs`: every query method and every message
//! of every module, found in the descriptors the modules register (the ones gRPC reflection
//! serves), with requests, messages and answers as JSON in the protobuf JSON mapping. A
//! module's queries and messages (the methods of its `Msg` service, as in the Cosmos SDK)
//! are on the CLI the moment it is in the module list; the typed commands (`pold query
//! staking …`, `pold tx inference …`) are shorthands for the common ones.

use anyhow::{bail, Context};
use pol_client::RpcClient;
use prost::Message;
use prost_reflect::{
    DescriptorPool, DynamicMessage, MessageDescriptor, MethodDescriptor, SerializeOptions,
};
use tendermint_proto::google::protobuf::Any;

use super::query::QueryOpts;
use pol_app::modules::Modules;

/// The descriptors of every module's services and the types they use.
pub(crate) fn pool(modules: Modules) -> anyhow::Result<DescriptorPool> {
    let mut pool = DescriptorPool::new();
    for set in modules.file_descriptor_sets() {
        pool.decode_file_descriptor_set(set)
            .context("a module's compiled-in descriptors do not load")?;
    }
    Ok(pool)
}

/// Every query method the modules serve, as `(module, method)`, in module-list order.
fn methods(modules: Modules, pool: &DescriptorPool) -> Vec<(&'static str, MethodDescriptor)> {
    let mut out = Vec::new();
    for m in modules.list() {
        for name in m.query_services() {
            if let Some(service) = pool.get_service_by_name(name) {
                out.extend(service.methods().map(|method| (m.name(), method)));
            }
        }
    }
    out
}

/// `service` is a module name (`latency`) or a full service name
/// (`pol.latency.v1.Query`); `method` is matched without regard to case. A method two of a
/// module's services share is the first-listed service's.
fn find(
    modules: Modules,
    pool: &DescriptorPool,
    service: &str,
    method: &str,
) -> anyhow::Result<MethodDescriptor> {
    let all = methods(modules, pool);
    let of_service: Vec<_> = all
        .iter()
        .filter(|(module, m)| *module == service || m.parent_service().full_name() == service)
        .collect();
    if of_service.is_empty() {
        let mut names: Vec<_> = all.iter().map(|(module, _)| *module).collect();
        names.dedup();
        bail!(
            "no module or query service {service:?}; modules: {} (`pold query methods` lists \
             every method)",
            names.join(", ")
        );
    }
    let found: Vec<_> = of_service
        .iter()
        .filter(|(_, m)| m.name().eq_ignore_ascii_case(method))
        .collect();
    // A module name picks among its services in the order it lists them (its own first,
    // then the Cosmos one beside it: `staking validator` is pol.staking.v1's); the full
    // service name picks any.
    let first_service = found
        .first()
        .map(|(_, m)| m.parent_service().full_name().to_string());
    let found: Vec<_> = found
        .into_iter()
        .filter(|(_, m)| Some(m.parent_service().full_name()) == first_service.as_deref())
        .collect();
    match found.as_slice() {
        [(_, m)] => Ok(m.clone()),
        [] => bail!(
            "{service} has no method {method:?}; it has: {}",
            of_service
                .iter()
                .map(|(_, m)| m.name())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => bail!("{method:?} names several methods of {service}: give the full service name"),
    }
}

/// The request for `method` from JSON (`{}` for none).
fn request(method: &MethodDescriptor, json: &str) -> anyhow::Result<Vec<u8>> {
    encode_json(&method.input(), json)
}

/// `json` as a `desc` message, encoded; unknown fields and wrong types are errors.
pub(crate) fn encode_json(desc: &MessageDescriptor, json: &str) -> anyhow::Result<Vec<u8>> {
    let mut de = serde_json::Deserializer::from_str(json);
    let msg = DynamicMessage::deserialize(desc.clone(), &mut de)
        .with_context(|| format!("the JSON is not a {}", desc.full_name()))?;
    de.end().context("trailing characters after the JSON")?;
    Ok(msg.encode_to_vec())
}

/// Every message the modules take: the inputs of each package's `Msg` service, for the
/// packages of the modules' query services.
fn messages(modules: Modules, pool: &DescriptorPool) -> Vec<(&'static str, MessageDescriptor)> {
    let mut out = Vec::new();
    for (module, query) in methods(modules, pool) {
        let service = query.parent_service();
        let msg_service = format!("{}.Msg", service.package_name());
        if out.iter().any(|(m, d): &(_, MessageDescriptor)| {
            *m == module && d.package_name() == service.package_name()
        }) {
            continue;
        }
        if let Some(msgs) = pool.get_service_by_name(&msg_service) {
            out.extend(msgs.methods().map(|m| (module, m.input())));
        }
    }
    out
}

/// A message by full name (`pol.inference.v1.MsgRegisterModel`) or by its name alone
/// (`MsgRegisterModel`) when only one module has it.
fn find_msg(
    modules: Modules,
    pool: &DescriptorPool,
    name: &str,
) -> anyhow::Result<MessageDescriptor> {
    let all = messages(modules, pool);
    let found: Vec<_> = all
        .iter()
        .filter(|(_, d)| d.full_name() == name || d.name() == name)
        .collect();
    match found.as_slice() {
        [(_, d)] => Ok(d.clone()),
        [] => bail!("no module takes a message {name:?} (`pold tx msgs` lists them)"),
        _ => bail!("{name:?} names several messages: give the full name"),
    }
}

/// The response bytes of `method` as pretty JSON (every field, defaults included).
fn response_json(method: &MethodDescriptor, bytes: &[u8]) -> anyhow::Result<String> {
    let mut msg = DynamicMessage::decode(method.output(), bytes)
        .with_context(|| format!("the node's answer is not a {}", method.output().full_name()))?;
    qualify_any_urls(&mut msg);
    let options = SerializeOptions::new()
        .skip_default_fields(false)
        .stringify_64_bit_integers(true);
    let mut value = msg.serialize_with_options(serde_json::value::Serializer, &options)?;
    unqualify_any_urls(&mut value);
    Ok(serde_json::to_string_pretty(&value)?)
}

/// prost-reflect renders an `Any` only under a `type.googleapis.com/` URL; Cosmos writes
/// `/pkg.Msg`. Qualify them before rendering ([`unqualify_any_urls`] undoes it after).
fn qualify_any_urls(msg: &mut DynamicMessage) {
    use prost_reflect::{ReflectMessage, Value};
    if msg.descriptor().full_name() == "google.protobuf.Any" {
        let url = msg.get_field_by_name("type_url").map(|v| v.into_owned());
        let value = msg.get_field_by_name("value").map(|v| v.into_owned());
        if let (Some(Value::String(url)), Some(Value::Bytes(bytes))) = (url, value) {
            if let Some(name) = url.strip_prefix('/') {
                // Its content may hold Anys too (a legacy proposal's content).
                let pool = msg.descriptor().parent_pool().clone();
                if let Some(inner_desc) = pool.get_message_by_name(name) {
                    if let Ok(mut inner) = DynamicMessage::decode(inner_desc, bytes.as_ref()) {
                        qualify_any_urls(&mut inner);
                        msg.set_field_by_name("value", Value::Bytes(inner.encode_to_vec().into()));
                    }
                }
                msg.set_field_by_name("type_url", Value::String(format!("{GOOGLE_PREFIX}{url}")));
            }
        }
        return;
    }
    fn walk(v: &mut Value) {
        match v {
            Value::Message(m) => qualify_any_urls(m),
            Value::List(items) => items.iter_mut().for_each(walk),
            Value::Map(entries) => entries.values_mut().for_each(walk),
            _ => {}
        }
    }
    let fields: Vec<_> = msg.descriptor().fields().collect();
    for field in fields {
        if msg.has_field(&field) {
            walk(msg.get_field_mut(&field));
        }
    }
}

const GOOGLE_PREFIX: &str = "type.googleapis.com";

fn unqualify_any_urls(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(url)) = map.get_mut("@type") {
                if let Some(rest) = url.strip_prefix(GOOGLE_PREFIX) {
                    *url = rest.to_string();
                }
            }
            map.values_mut().for_each(unqualify_any_urls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(unqualify_any_urls),
        _ => {}
    }
}

/// `pold tx msgs`: every module's messages.
pub fn list_msgs() -> anyhow::Result<()> {
    let modules = Modules::pol();
    let pool = pool(modules)?;
    for (module, d) in messages(modules, &pool) {
        println!("{module:<11} {}", d.full_name());
    }
    Ok(())
}

/// The message `name` from JSON, packed for a tx: `pold tx call`.
pub fn msg_any(name: &str, json: &str) -> anyhow::Result<Any> {
    let modules = Modules::pol();
    let pool = pool(modules)?;
    let desc = find_msg(modules, &pool, name)?;
    Ok(Any {
        type_url: format!("/{}", desc.full_name()),
        value: encode_json(&desc, json)?,
    })
}

/// `pold query methods`: every module's query methods and their request types.
pub fn list() -> anyhow::Result<()> {
    let modules = Modules::pol();
    let pool = pool(modules)?;
    for (module, m) in methods(modules, &pool) {
        println!(
            "{module:<11} {}/{:<28} {}",
            m.parent_service().full_name(),
            m.name(),
            m.input().full_name()
        );
    }
    Ok(())
}

/// `pold query call <service> <method> [json]`.
pub async fn call(
    service: &str,
    method: &str,
    json: Option<&str>,
    opts: &QueryOpts,
) -> anyhow::Result<()> {
    let modules = Modules::pol();
    let pool = pool(modules)?;
    let method = find(modules, &pool, service, method)?;
    let data = request(&method, json.unwrap_or("{}"))?;
    let path = format!("/{}/{}", method.parent_service().full_name(), method.name());
    let rpc = RpcClient::new(&opts.node);
    let r = rpc.abci_query(&path, &data, opts.height, false).await?;
    if r.code != 0 {
        bail!("{path}: {} (code {})", r.log, r.code);
    }
    println!("{}", response_json(&method, &r.value)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_query_is_reachable_and_requests_round_trip() {
        let modules = Modules::pol();
        let pool = pool(modules).unwrap();
        let all = methods(modules, &pool);
        // Every method the app serves on ABCI is one the CLI can call, and only those.
        let paths: std::collections::BTreeSet<String> = all
            .iter()
            .map(|(_, m)| format!("/{}/{}", m.parent_service().full_name(), m.name()))
            .collect();
        assert_eq!(paths, modules.query_paths());
        // By module name or full service name, any case of the method.
        let by_module = find(modules, &pool, "bank", "balance").unwrap();
        assert_eq!(by_module.full_name(), "cosmos.bank.v1beta1.Query.Balance");
        let by_service = find(modules, &pool, "pol.latency.v1.Query", "Route").unwrap();
        let bytes = request(&by_service, r#"{"modelId": "m1"}"#).unwrap();
        let decoded = DynamicMessage::decode(by_service.input(), bytes.as_slice()).unwrap();
        assert_eq!(
            decoded.get_field_by_name("model_id").unwrap().as_str(),
            Some("m1")
        );
        // A method two of a module's services share: the module's own by its name, the
        // Cosmos one by its full name.
        let own = find(modules, &pool, "staking", "validator").unwrap();
        assert_eq!(own.full_name(), "pol.staking.v1.Query.Validator");
        let cosmos = find(modules, &pool, "cosmos.staking.v1beta1.Query", "validator").unwrap();
        assert_eq!(cosmos.full_name(), "cosmos.staking.v1beta1.Query.Validator");
        // Clear errors for what does not exist or does not parse.
        let e = find(modules, &pool, "bnak", "Balance")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no module") && e.contains("bank"), "{e}");
        let e = find(modules, &pool, "bank", "Nope")
            .unwrap_err()
            .to_string();
        assert!(e.contains("AllBalances"), "{e}");
        let e = request(&by_service, r#"{"modelId": 5}"#).unwrap_err();
        assert!(format!("{e:#}").contains("QueryRouteRequest"), "{e:#}");
        assert!(request(&by_service, r#"{"noSuchField": 1}"#).is_err());
    }

    #[test]
    fn module_messages_pack_by_name_and_decode_as_the_chain_decodes_them() {
        let modules = Modules::pol();
        let pool = pool(modules).unwrap();
        let names: Vec<_> = messages(modules, &pool)
            .iter()
            .map(|(_, d)| d.full_name().to_string())
            .collect();
        assert!(names.contains(&"pol.inference.v1.MsgRegisterModel".to_string()));
        assert!(names.contains(&"pol.staking.v1.MsgDelegate".to_string()));
        // Every listed message is one the app decodes (a signed tx of it routes).
        for name in &names {
            let desc = find_msg(modules, &pool, name).unwrap();
            let any = Any {
                type_url: format!("/{}", desc.full_name()),
                value: Vec::new(),
            };
            assert!(
                modules.decode_msg(&any).is_ok(),
                "{name} is listed but the app does not decode it"
            );
        }
        let any = msg_any(
            "MsgDelegate",
            r#"{"delegatorAddress": "pol1x", "validatorAddress": "polvaloper1y",
                "amount": {"denom": "upol", "amount": "5"}}"#,
        );
        let any = match any {
            Ok(a) => a,
            Err(e) => panic!("{e:#}"),
        };
        assert_eq!(any.type_url, "/pol.staking.v1.MsgDelegate");
        let e = msg_any("MsgNope", "{}").unwrap_err().to_string();
        assert!(e.contains("pold tx msgs"), "{e}");
    }

    #[test]
    fn answers_holding_cosmos_any_urls_render_as_json() {
        use cosmos_sdk_proto::cosmos::gov::v1 as gov;
        let modules = Modules::pol();
        let pool = pool(modules).unwrap();
        let method = find(modules, &pool, "cosmos.gov.v1.Query", "Proposal").unwrap();
        let inner = pol_latency::pb::MsgUpdateParams {
            authority: "pol1gov".into(),
            params: Some(pol_latency::pb::Params::DEFAULT),
        };
        let answer = gov::QueryProposalResponse {
            proposal: Some(gov::Proposal {
                id: 3,
                messages: vec![Any {
                    type_url: "/pol.latency.v1.MsgUpdateParams".into(),
                    value: inner.encode_to_vec(),
                }],
                ..Default::default()
            }),
        };
        let json: serde_json::Value =
            serde_json::from_str(&response_json(&method, &answer.encode_to_vec()).unwrap())
                .unwrap();
        let msg = &json["proposal"]["messages"][0];
        assert_eq!(msg["@type"], "/pol.latency.v1.MsgUpdateParams", "{json}");
        assert_eq!(msg["authority"], "pol1gov");
        assert_eq!(msg["params"]["epochBlocks"], "20");
    }
}
