//! Publishes Wasmtime's C/C++ headers where CMake looks for them:
//! `<target-dir>/<profile>/include`, next to `libt3n_native.a`.
use std::path::{Path, PathBuf};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create include dir");
    for entry in std::fs::read_dir(from).expect("read wasmtime include dir") {
        let entry = entry.expect("dir entry");
        let dest = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy header");
        }
    }
}

fn main() {
    let include = PathBuf::from(
        std::env::var("DEP_WASMTIME_C_API_INCLUDE").expect("wasmtime-c-api-impl sets its include dir"),
    );
    // OUT_DIR = <target>/<profile>/build/t3n-native-<hash>/out
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let profile_dir = out_dir.ancestors().nth(3).expect("profile dir").to_path_buf();
    copy_dir(&include, &profile_dir.join("include"));
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=DEP_WASMTIME_C_API_INCLUDE");
}
