//! One network interface as the engine and the interface views read it ([`Eni`]). A large
//! export holds millions, so an interface holds what is its own (id, addresses, groups, owner)
//! and shares the rest: where it is ([`Place`]: account, zone, VPC, subnet) and what kind it is
//! ([`Profile`]: type, status, requester, instance owner) are held once per distinct value and
//! pointed to, the texts that repeat (descriptions, owners) are interned ([`EniTexts`]).

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;

use compact_str::CompactString;

use super::listing::Listing;
use super::owner::{Owner, OwnerKind, TaskRef};
use crate::evidence::az_region;
use crate::evidence::model::{Interner, NetworkInterface, Shared};
use crate::reach::{IpVersion, RecordId};

/// Where an interface is, shared by every interface in the same subnet of the same account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Place {
    /// Owning account.
    pub account: Option<Shared>,
    /// Availability zone.
    pub zone: Option<Shared>,
    /// VPC id.
    pub vpc_id: Option<Shared>,
    /// Subnet id.
    pub subnet_id: Option<Shared>,
}

/// What kind of interface it is, shared by every interface of the same kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Profile {
    /// `InterfaceType`.
    pub interface_type: Option<Shared>,
    /// `Status`.
    pub status: Option<Shared>,
    /// `RequesterId`: the service that created it, for a managed interface.
    pub requester_id: Option<Shared>,
    /// The account of the attached instance.
    pub instance_owner_id: Option<Shared>,
}

/// The texts, places and profiles interfaces share, each held once while they are built.
#[derive(Default)]
pub struct EniTexts {
    texts: Interner,
    places: HashSet<Arc<Place>>,
    profiles: HashSet<Arc<Profile>>,
}

/// The shared copy of `value` among `held`, made on first sight.
fn held<T: Eq + std::hash::Hash>(held: &mut HashSet<Arc<T>>, value: T) -> Arc<T> {
    if let Some(known) = held.get(&value) {
        return Arc::clone(known);
    }
    let value = Arc::new(value);
    held.insert(Arc::clone(&value));
    value
}

/// One network interface, with what the engine needs to know about it; the address lists are
/// exactly their length.
#[derive(Debug, Clone)]
pub struct Eni {
    /// ENI id (inline: it is short, and a large export holds millions).
    pub id: CompactString,
    /// Where it is.
    pub place: Arc<Place>,
    /// What kind it is.
    pub profile: Arc<Profile>,
    /// What it belongs to.
    pub owner: Owner,
    /// Attached instance id (any owner).
    pub instance_id: Option<Shared>,
    /// Public IPv4 addresses.
    pub public_ips: Box<[IpAddr]>,
    /// IPv6 addresses.
    pub ipv6: Box<[IpAddr]>,
    /// Private IPv4 addresses, primary first.
    pub private_ips: Box<[IpAddr]>,
    /// `Description` (load balancer nodes are `ELB app/NAME/ID`, `ELB net/NAME/ID`, `ELB NAME`).
    pub description: Option<Shared>,
    /// Security group ids.
    pub groups: Box<[Shared]>,
    /// Its address columns as the evidence wrote them, kept only when its parsed addresses do
    /// not write them so ([`Listing`]).
    pub listing: Option<Box<Listing>>,
    /// Its evidence record (see [`super::Network::source`]).
    pub record: RecordId,
}

impl Eni {
    /// The interface of record `i` (evidence record `record`), owned by `task` when an ECS
    /// task names it; what it shares with others taken from `shared`.
    pub fn new(
        i: &NetworkInterface,
        task: Option<TaskRef>,
        record: RecordId,
        shared: &mut EniTexts,
    ) -> Eni {
        let owner = Owner::of(i, task, &mut shared.texts);
        // An instance's interface names it twice, as its attachment and as its owner: one copy.
        let attachment = i.attachment.as_ref();
        let instance_id = match owner.kind {
            OwnerKind::Ec2Instance => owner.id.clone(),
            _ => (attachment.and_then(|a| a.instance_id.as_deref())).map(Shared::single),
        };
        fn ips<'a>(addrs: impl IntoIterator<Item = &'a str>) -> Box<[IpAddr]> {
            addrs.into_iter().filter_map(|a| a.parse().ok()).collect()
        }
        let public = i.public_associations();
        let place = Place {
            account: i.owner_id.clone(),
            zone: i.availability_zone.clone(),
            vpc_id: i.vpc_id.clone(),
            subnet_id: i.subnet_id.clone(),
        };
        let profile = Profile {
            interface_type: i.interface_type.clone(),
            status: i.status.clone(),
            requester_id: i.requester_id.clone(),
            instance_owner_id: attachment.and_then(|a| a.instance_owner_id.clone()),
        };
        let mut eni = Eni {
            id: i.network_interface_id.clone(),
            place: held(&mut shared.places, place),
            profile: held(&mut shared.profiles, profile),
            owner,
            instance_id,
            public_ips: ips((public.iter()).filter_map(|a| a.public_ip.as_deref())),
            ipv6: ips(i.ipv6_addresses.iter().map(|a| a.ipv6_address.as_str())),
            private_ips: ips(i.private_ips()),
            description: (i.description.as_deref()).map(|d| shared.texts.get(d)),
            groups: i.groups.iter().map(|g| g.group_id.clone()).collect(),
            listing: None,
            record,
        };
        eni.listing = Listing::unless_written(i, &public, &eni);
        eni
    }

    /// Owning account.
    pub fn account(&self) -> Option<&str> {
        self.place.account.as_deref()
    }

    /// Availability zone.
    pub fn zone(&self) -> Option<&str> {
        self.place.zone.as_deref()
    }

    /// VPC id.
    pub fn vpc_id(&self) -> Option<&str> {
        self.place.vpc_id.as_deref()
    }

    /// Subnet id.
    pub fn subnet_id(&self) -> Option<&str> {
        self.place.subnet_id.as_deref()
    }

    /// `InterfaceType`.
    pub fn interface_type(&self) -> Option<&str> {
        self.profile.interface_type.as_deref()
    }

    /// Region, from its availability zone.
    pub fn region(&self) -> Option<&str> {
        self.zone().and_then(az_region)
    }

    /// The version whose path decides the blocking hop: IPv4 when the interface has a public
    /// IPv4 address or no IPv6 address, else IPv6.
    pub fn primary_version(&self) -> IpVersion {
        if self.public_ips.is_empty() && !self.ipv6.is_empty() {
            IpVersion::V6
        } else {
            IpVersion::V4
        }
    }

    /// Whether the interface belongs to a NAT gateway (which accepts no inbound connection).
    pub fn is_nat_gateway(&self) -> bool {
        self.interface_type() == Some("nat_gateway")
    }

    /// The interface's addresses of one version (public IPv4, or IPv6).
    pub fn addresses(&self, version: IpVersion) -> &[IpAddr] {
        match version {
            IpVersion::V4 => &self.public_ips,
            IpVersion::V6 => &self.ipv6,
        }
    }
}
