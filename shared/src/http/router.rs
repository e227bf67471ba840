//! A tiny path router shared by the functions: static segments and `{name}` parameters, with 404
//! for unknown paths and 405 for known paths with another method.

use lambda_http::http::Method;

pub struct Router<R: Copy> {
    routes: Vec<(Method, &'static str, R)>,
}

pub enum Matched<'p, R> {
    Found {
        route: R,
        params: Vec<(&'static str, &'p str)>,
    },
    MethodNotAllowed,
    NotFound,
}

impl<R: Copy> Router<R> {
    pub fn new(routes: Vec<(Method, &'static str, R)>) -> Self {
        Self { routes }
    }

    /// Every `(method, pattern)` served, for the consistency tests against the deployed routes.
    pub fn routes(&self) -> impl Iterator<Item = (&Method, &'static str)> {
        self.routes.iter().map(|(m, p, _)| (m, *p))
    }

    pub fn find<'p>(&self, method: &Method, path: &'p str) -> Matched<'p, R> {
        let path = if path.len() > 1 {
            path.trim_end_matches('/')
        } else {
            path
        };
        let mut path_known = false;
        for (route_method, pattern, route) in &self.routes {
            let Some(params) = match_pattern(pattern, path) else {
                continue;
            };
            if route_method == method {
                return Matched::Found { route: *route, params };
            }
            path_known = true;
        }
        if path_known {
            Matched::MethodNotAllowed
        } else {
            Matched::NotFound
        }
    }
}

fn match_pattern<'p>(pattern: &'static str, path: &'p str) -> Option<Vec<(&'static str, &'p str)>> {
    let mut pattern_parts = pattern.split('/');
    let mut path_parts = path.split('/');
    let mut params = Vec::new();
    loop {
        match (pattern_parts.next(), path_parts.next()) {
            (None, None) => return Some(params),
            (Some(expected), Some(actual)) => {
                if let Some(name) = expected.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    if actual.is_empty() {
                        return None;
                    }
                    params.push((name, actual));
                } else if expected != actual {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum R {
        List,
        One,
    }

    fn router() -> Router<R> {
        Router::new(vec![
            (Method::GET, "/api/v1/orgs", R::List),
            (Method::GET, "/api/v1/orgs/{org_id}", R::One),
        ])
    }

    #[test]
    fn matches_static_and_parameter_segments() {
        assert!(matches!(
            router().find(&Method::GET, "/api/v1/orgs"),
            Matched::Found { route: R::List, .. }
        ));
        assert!(matches!(
            router().find(&Method::GET, "/api/v1/orgs/"),
            Matched::Found { route: R::List, .. }
        ));
        match router().find(&Method::GET, "/api/v1/orgs/42") {
            Matched::Found { route, params } => {
                assert_eq!(route, R::One);
                assert_eq!(params, vec![("org_id", "42")]);
            }
            _ => panic!("expected a match"),
        }
    }

    #[test]
    fn tells_unknown_paths_from_wrong_methods() {
        assert!(matches!(
            router().find(&Method::DELETE, "/api/v1/orgs"),
            Matched::MethodNotAllowed
        ));
        assert!(matches!(
            router().find(&Method::GET, "/api/v1/orgs/1/x"),
            Matched::NotFound
        ));
        assert!(matches!(router().find(&Method::GET, "/api/v1/org"), Matched::NotFound));
    }
}
