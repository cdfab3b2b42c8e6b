//! The `internet_gateway` hop: is the gateway the route names attached to the VPC?

use super::super::grid::Field;
use super::super::model::Hop;
use super::super::ranges::AddrSet;
use super::super::vocab::{HopKind, RecordId};
use super::routes::RoutedTo;
use super::{Ctx, HopResult, judge};

/// What the evidence says of one gateway a route sends running sources to.
enum GatewayState<'a> {
    /// Attached to the interface's VPC (state `available`).
    Attached,
    /// Attached to no VPC.
    Detached,
    /// Attached to other VPCs only.
    AttachedElsewhere(&'a [String]),
    /// Absent from the account's gateways in the evidence.
    NotInEvidence,
    /// The account has no internet gateway evidence at all.
    Unchecked,
}

/// The gateways that carry running sources, and what each one is.
struct GatewayFacts<'a> {
    /// (gateway id, its state), by id.
    gateways: Vec<(&'a str, GatewayState<'a>)>,
    /// Addresses definitely carried to the internet.
    definite: AddrSet,
    /// Addresses possibly carried to the internet.
    possible: AddrSet,
    /// Addresses possibly routed to a gateway that is attached: judges this hop on its own.
    carried: AddrSet,
    records: Vec<RecordId>,
}

fn gateway_facts<'a>(ctx: &Ctx<'a>, running: &AddrSet) -> Option<GatewayFacts<'a>> {
    let ra = ctx.routes.as_ref()?;
    let vpc = ctx.iface.vpc_id;
    let empty = AddrSet::empty(ctx.version);
    let mut facts = GatewayFacts {
        gateways: Vec::new(),
        definite: empty.clone(),
        possible: empty.clone(),
        carried: empty,
        records: Vec::new(),
    };
    for (igw, RoutedTo { definite, possible }) in &ra.igws {
        if !possible.meets(running) {
            continue;
        }
        let state = match ctx.iface.igws.iter().find(|g| g.id == *igw) {
            Some(g) => {
                facts.records.push(g.record);
                if g.available_vpcs.iter().any(|v| v == vpc) {
                    facts.definite = facts.definite.union(definite);
                    facts.possible = facts.possible.union(possible);
                    facts.carried = facts.carried.union(possible);
                    GatewayState::Attached
                } else if g.available_vpcs.is_empty() {
                    GatewayState::Detached
                } else {
                    GatewayState::AttachedElsewhere(&g.available_vpcs)
                }
            }
            None if ctx.iface.igw_evidence => {
                // Nothing records an absence: cite the routes that name the gateway.
                let routes = ctx.iface.route_table.iter().flat_map(|t| &t.routes);
                let naming = routes.filter(|r| r.target == *igw).map(|r| r.record);
                facts.records.extend(naming);
                GatewayState::NotInEvidence
            }
            None => {
                facts.possible = facts.possible.union(possible);
                GatewayState::Unchecked
            }
        };
        facts.gateways.push((*igw, state));
    }
    Some(facts)
}

fn gateway_detail(igw: &str, state: &GatewayState, vpc: &str) -> String {
    match state {
        GatewayState::Attached => format!("{igw} is attached to {vpc} (available)"),
        GatewayState::Detached => {
            format!("{igw} is not attached to {vpc} (detached), so it does not carry traffic")
        }
        GatewayState::AttachedElsewhere(vpcs) => format!(
            "{igw} is not attached to {vpc} (attached to {}), so it does not carry traffic",
            vpcs.join(", ")
        ),
        GatewayState::NotInEvidence => format!(
            "{igw} (named by the route) is not among the account's internet gateways in \
             the evidence, so it does not carry traffic"
        ),
        GatewayState::Unchecked => format!(
            "{igw} cannot be checked: there is no internet gateway evidence for the account/region"
        ),
    }
}

/// Without a route table: fails when no gateway is attached to the VPC, else indeterminate.
fn without_routes(ctx: &Ctx, running: &Field) -> HopResult {
    let kind = ctx.kind(HopKind::InternetGateway);
    let vpc = ctx.iface.vpc_id;
    let attached = (ctx.iface.igws.iter()).any(|g| g.available_vpcs.iter().any(|v| v == vpc));
    if ctx.iface.igw_evidence && !attached {
        let detail = format!("no internet gateway is attached to {vpc}");
        return ctx.all_or_nothing(kind, false, detail, Vec::new());
    }
    let detail = "without the subnet's route table the internet gateway in use is unknown";
    ctx.evidence_missing(running, kind, detail)
}

/// Passes for the sources routed to a gateway attached to the interface's VPC.
pub(super) fn hop(ctx: &Ctx, running: &Field) -> HopResult {
    let Some(facts) = gateway_facts(ctx, &running.addresses(ctx.version)) else {
        return without_routes(ctx, running);
    };
    let vpc = ctx.iface.vpc_id;
    let mut parts: Vec<String> = (facts.gateways.iter())
        .map(|(igw, state)| gateway_detail(igw, state, vpc))
        .collect();
    if parts.is_empty() {
        parts.push("no route sends internet sources to an internet gateway".to_string());
    }
    let definite = ctx.broadcast(&facts.definite);
    let possible = ctx.broadcast(&facts.possible);
    let verdict = judge(running, &ctx.broadcast(&facts.carried), &possible);
    HopResult {
        hop: Hop::new(
            ctx.kind(HopKind::InternetGateway),
            verdict,
            parts.join("; "),
            facts.records,
        ),
        definite,
        possible,
    }
}
