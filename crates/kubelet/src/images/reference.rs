//! Image references as the container runtimes normalise them (Docker's reference
//! grammar): a name without a registry is on `docker.io`, a single-component name on
//! Docker Hub is under `library/`, and a reference without tag or digest means `:latest`.

/// A normalised reference: `registry/repository` plus `:tag` or `@digest`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reference {
    /// `docker.io`, `localhost:5000`, `ghcr.io`.
    pub registry: String,
    /// `library/busybox`.
    pub repository: String,
    /// `latest`, unless a digest was given.
    pub tag: Option<String>,
    /// `sha256:…`.
    pub digest: Option<String>,
}

/// Why a reference could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid image reference {0:?}: {1}")]
pub struct ReferenceError(pub String, pub &'static str);

impl Reference {
    /// Read and normalise `s`.
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        let err = |why| ReferenceError(s.to_string(), why);
        if s.is_empty() {
            return Err(err("empty"));
        }
        if s.chars().any(char::is_whitespace) {
            return Err(err("contains white space"));
        }
        if s.split('@')
            .next()
            .is_some_and(|n| n.chars().any(|c| c.is_ascii_uppercase()))
        {
            return Err(err("repository names must be lowercase"));
        }
        let (name, digest) = match s.split_once('@') {
            Some((n, d)) => {
                let (alg, hex) = d
                    .split_once(':')
                    .ok_or_else(|| err("digest without algorithm"))?;
                if alg != "sha256" || hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit())
                {
                    return Err(err("digest must be sha256 with 64 hex digits"));
                }
                (n, Some(d.to_string()))
            }
            None => (s, None),
        };
        // a tag follows the last ':' after the last '/'
        let slash = name.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name[slash..].rfind(':') {
            Some(i) => (&name[..slash + i], Some(name[slash + i + 1..].to_string())),
            None => (name, None),
        };
        if tag.as_deref().is_some_and(str::is_empty) || name.is_empty() {
            return Err(err("empty name or tag"));
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), rest.to_string())
            }
            _ => ("docker.io".to_string(), name.to_string()),
        };
        let repository = if registry == "docker.io" && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        if !repository.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '/')
        }) {
            return Err(err(
                "repository may hold only lowercase letters, digits, '.', '_', '-' and '/'",
            ));
        }
        let tag = match (tag, &digest) {
            (None, None) => Some("latest".to_string()),
            (t, _) => t,
        };
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        Reference::parse(s).unwrap().to_string()
    }

    #[test]
    fn names_normalise_as_docker_does() {
        assert_eq!(norm("busybox"), "docker.io/library/busybox:latest");
        assert_eq!(norm("busybox:1.36"), "docker.io/library/busybox:1.36");
        assert_eq!(norm("foo/bar"), "docker.io/foo/bar:latest");
        assert_eq!(
            norm("localhost:5000/test/web:v2"),
            "localhost:5000/test/web:v2"
        );
        assert_eq!(norm("127.0.0.1:5000/web"), "127.0.0.1:5000/web:latest");
        assert_eq!(norm("ghcr.io/a/b/c"), "ghcr.io/a/b/c:latest");
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            norm(&format!("busybox@{d}")),
            format!("docker.io/library/busybox@{d}")
        );
        assert_eq!(
            norm(&format!("busybox:1@{d}")),
            format!("docker.io/library/busybox:1@{d}")
        );
    }

    #[test]
    fn bad_references_are_refused() {
        for bad in [
            "",
            "Busybox",
            "busy box",
            "busybox:",
            "busybox@sha256:12",
            "a/B:c",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
    }
}
