//! The raw branches an analysis reads.

use super::*;

/// The raw branches an analysis needs: fields of NanoAOD collections reached
/// through definitions, counters, event-level branches and records.
pub(super) fn required_branches(
    defs: &[PlannedDef],
    skim: &[&TExpr],
    exprs: &[&TExpr],
    raw: &Schema,
    hook_defs: &[HookDef],
) -> BTreeSet<String> {
    let mut need = BTreeSet::new();
    // defined name -> the NanoAOD collections its objects come from
    let mut sources: HashMap<String, BTreeSet<String>> = HashMap::new();
    for h in hook_defs {
        let prefixes = h
            .from
            .iter()
            .filter_map(|c| match raw.names.get(c) {
                Some(Ty::Coll(id)) => raw.base.get(id).map(|(_, p)| p.clone()),
                _ => None,
            })
            .collect();
        sources.insert(h.name.clone(), prefixes);
    }
    // (collection, field) added by definitions
    let mut added: BTreeSet<(String, String)> = BTreeSet::new();
    let base_of = |name: &str| -> Option<(String, String)> {
        match raw.names.get(name) {
            Some(Ty::Coll(id)) => raw
                .base
                .get(id)
                .map(|(counter, prefix)| (counter.clone(), prefix.clone())),
            _ => None,
        }
    };
    fn srcs(
        e: &TExpr,
        sources: &HashMap<String, BTreeSet<String>>,
        base_of: &dyn Fn(&str) -> Option<(String, String)>,
    ) -> BTreeSet<String> {
        match &e.kind {
            TKind::Name(n) => match sources.get(n) {
                Some(s) => s.clone(),
                None => base_of(n)
                    .map(|(_, p)| BTreeSet::from([p]))
                    .unwrap_or_default(),
            },
            TKind::JaggedBranch(_, _) => BTreeSet::new(),
            TKind::Select(c, _)
            | TKind::Slice(c, _, _)
            | TKind::Pick(c, _)
            | TKind::Field(c, _)
            | TKind::PickValue(c, _) => srcs(c, sources, base_of),
            TKind::Call(Func::Builtin(b), args) => {
                b.0.passes_objects(args)
                    .into_iter()
                    .filter_map(|i| args.get(i))
                    .flat_map(|a| srcs(a, sources, base_of))
                    .collect()
            }
            _ => BTreeSet::new(),
        }
    }
    let counter_of = |prefix: &str| -> Option<String> {
        raw.base
            .values()
            .find(|(_, p)| p == prefix)
            .map(|(c, _)| c.clone())
    };
    #[allow(clippy::too_many_arguments)]
    fn walk(
        e: &TExpr,
        need: &mut BTreeSet<String>,
        sources: &HashMap<String, BTreeSet<String>>,
        added: &BTreeSet<(String, String)>,
        base_of: &dyn Fn(&str) -> Option<(String, String)>,
        counter_of: &dyn Fn(&str) -> Option<String>,
        raw: &Schema,
    ) {
        let field_of = |x: &TExpr, f: &str, need: &mut BTreeSet<String>| {
            for s in srcs(x, sources, base_of) {
                if !added.contains(&(s.clone(), f.to_string())) {
                    need.insert(format!("{s}_{f}"));
                }
                if let Some(c) = counter_of(&s) {
                    need.insert(c);
                }
            }
        };
        match &e.kind {
            TKind::Branch(n) => {
                need.insert(n.clone());
            }
            TKind::JaggedBranch(n, id) => {
                need.insert(n.clone());
                if let Some((c, _)) = raw.base.get(id) {
                    need.insert(c.clone());
                }
            }
            TKind::Name(n) if !sources.contains_key(n) => {
                if let Some((c, _)) = base_of(n) {
                    need.insert(c);
                }
            }
            TKind::Field(x, f) => field_of(x, f, need),
            TKind::RecField(x, f) => {
                if let TKind::Name(n) = &x.kind {
                    if !sources.contains_key(n) {
                        if let Some(Ty::Rec(id)) = raw.names.get(n) {
                            if let Some(prefix) = raw.rec_prefix.get(id) {
                                need.insert(format!("{prefix}_{f}"));
                            }
                        }
                    }
                }
            }
            TKind::Call(Func::Builtin(b), args) => {
                for (i, f) in b.0.reads(args) {
                    let Some(a) = args.get(i) else { continue };
                    // a single object per event (a record) reads its own branch
                    if let TKind::Name(n) = &a.kind {
                        if let Some(Ty::Rec(id)) = raw.names.get(n) {
                            if let Some(prefix) = raw.rec_prefix.get(id) {
                                need.insert(format!("{prefix}_{f}"));
                            }
                        }
                    }
                    field_of(a, &f, need);
                }
            }
            TKind::Call(Func::User(u), args) => {
                need.extend(u.1.branches());
                for a in args {
                    for f in u.1.fields() {
                        field_of(a, &f, need);
                    }
                }
            }
            _ => {}
        }
        for c in e.children() {
            walk(c, need, sources, added, base_of, counter_of, raw);
        }
    }
    // the skim runs before every definition: it reads the files' fields
    for e in skim {
        walk(e, &mut need, &sources, &added, &base_of, &counter_of, raw);
    }
    for d in defs {
        walk(
            &d.expr,
            &mut need,
            &sources,
            &added,
            &base_of,
            &counter_of,
            raw,
        );
        match &d.field {
            Some(f) => {
                // Coll.field: the collection keeps its sources
                let s = sources.get(&d.name).cloned().unwrap_or_else(|| {
                    base_of(&d.name)
                        .map(|(_, p)| BTreeSet::from([p]))
                        .unwrap_or_default()
                });
                for p in &s {
                    added.insert((p.clone(), f.clone()));
                }
                sources.insert(d.name.clone(), s);
            }
            None => {
                let s = srcs(&d.expr, &sources, &base_of);
                sources.insert(d.name.clone(), s);
            }
        }
    }
    for e in exprs {
        walk(e, &mut need, &sources, &added, &base_of, &counter_of, raw);
    }
    need
}
