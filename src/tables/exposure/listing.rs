//! The address columns of the `network_interfaces` table, which is built from the network model
//! ([`super::Eni`]), not from the interface records (freed once the model exists): what the
//! engine reads of an interface's addresses is parsed ([`std::net::IpAddr`]), so the texts the
//! evidence wrote are kept beside it ([`Listing`]) only for an interface whose texts the parsed
//! addresses do not give back as written (an Elastic IP's association, an address written in
//! another form, an unreadable one), never for the millions that do.

use std::borrow::Cow;
use std::net::IpAddr;

use compact_str::{CompactString, ToCompactString};

use super::Eni;
use crate::evidence::model::{Association, NetworkInterface};

/// An interface's address columns as the evidence wrote them.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// `PrivateIpAddress`.
    pub private_ip: Option<CompactString>,
    /// Every public IPv4 address, the interface's association first.
    pub public_ips: Box<[CompactString]>,
    /// The public addresses that are Elastic IPs.
    pub elastic_ips: Box<[CompactString]>,
    /// The associations' ids.
    pub eip_association_ids: Box<[String]>,
    /// IPv6 addresses.
    pub ipv6: Box<[CompactString]>,
}

impl Listing {
    /// The address columns of an interface record.
    pub fn of(record: &NetworkInterface) -> Listing {
        let public = record.public_associations();
        let texts = |values: &mut dyn Iterator<Item = &CompactString>| values.cloned().collect();
        Listing {
            private_ip: record.private_ip_address.clone(),
            public_ips: texts(&mut public.iter().filter_map(|a| a.public_ip.as_ref())),
            elastic_ips: texts(
                &mut (public.iter())
                    .filter(|a| a.is_elastic())
                    .filter_map(|a| a.public_ip.as_ref()),
            ),
            eip_association_ids: (public.iter())
                .filter_map(|a| a.association_id.clone())
                .collect(),
            ipv6: texts(&mut record.ipv6_addresses.iter().map(|a| &a.ipv6_address)),
        }
    }

    /// The address columns as an interface's parsed addresses write them (none Elastic): its
    /// first private address, its public and IPv6 addresses.
    fn written(eni: &Eni) -> Listing {
        let texts = |ips: &[IpAddr]| ips.iter().map(ToCompactString::to_compact_string).collect();
        Listing {
            private_ip: eni
                .private_ips
                .first()
                .map(ToCompactString::to_compact_string),
            public_ips: texts(&eni.public_ips),
            ipv6: texts(&eni.ipv6),
            ..Listing::default()
        }
    }

    /// The record's address columns when `eni`, its parsed form, does not give them back as
    /// written; `None` when it does (all but a few interfaces: checked without building either).
    /// `public` is the record's public associations.
    pub fn unless_written(
        record: &NetworkInterface,
        public: &[&Association],
        eni: &Eni,
    ) -> Option<Box<Listing>> {
        let private = eni
            .private_ips
            .first()
            .map(ToCompactString::to_compact_string);
        let written = (public.iter()).all(|a| !a.is_elastic() && a.association_id.is_none())
            && writes(
                &eni.public_ips,
                public.iter().filter_map(|a| a.public_ip.as_deref()),
            )
            && writes(
                &eni.ipv6,
                (record.ipv6_addresses.iter()).map(|a| a.ipv6_address.as_str()),
            )
            && record.private_ip_address == private;
        (!written).then(|| Box::new(Listing::of(record)))
    }

    /// An interface's address columns: those kept with it, else those its addresses write.
    pub fn of_eni(eni: &Eni) -> Cow<'_, Listing> {
        match &eni.listing {
            Some(listing) => Cow::Borrowed(listing),
            None => Cow::Owned(Listing::written(eni)),
        }
    }
}

/// Whether `ips` write exactly `texts`, one for one.
fn writes<'a>(ips: &[IpAddr], texts: impl Iterator<Item = &'a str>) -> bool {
    let mut written = ips.iter().map(ToCompactString::to_compact_string);
    texts
        .map(Some)
        .chain([None])
        .all(|text| written.next().as_deref() == text)
}
