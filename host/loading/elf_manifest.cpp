#include "host/loading/elf_manifest.hpp"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <vector>

namespace alys::host {
namespace {

class FileBytes {
 public:
  explicit FileBytes(const std::filesystem::path& file) : in_(file, std::ios::binary) {}
  bool open() const { return in_.is_open(); }

  // Reads `size` bytes at `offset`; false if the file is shorter.
  bool read(std::uint64_t offset, void* out, std::size_t size) {
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset));
    in_.read(static_cast<char*>(out), static_cast<std::streamsize>(size));
    return static_cast<std::size_t>(in_.gcount()) == size;
  }

 private:
  std::ifstream in_;
};

}  // namespace

Result<alys_manifest> read_manifest(const std::filesystem::path& file) {
  FileBytes bytes(file);
  if (!bytes.open()) return Status::NotFound("cannot open " + file.string());

  Elf64_Ehdr header{};
  if (!bytes.read(0, &header, sizeof header) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0)
    return Status::Invalid(file.string() + " is not an ELF file");
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB)
    return Status::Invalid(file.string() + " is not a 64-bit little-endian ELF file");
  if (header.e_type != ET_DYN) return Status::Invalid(file.string() + " is not a shared library");
  if (header.e_shentsize != sizeof(Elf64_Shdr) || header.e_shnum == 0)
    return Status::Invalid(file.string() + " has no section headers");

  std::vector<Elf64_Shdr> sections(header.e_shnum);
  if (!bytes.read(header.e_shoff, sections.data(), sections.size() * sizeof(Elf64_Shdr)))
    return Status::Invalid(file.string() + " is truncated (section headers)");

  for (const Elf64_Shdr& dynsym : sections) {
    if (dynsym.sh_type != SHT_DYNSYM || dynsym.sh_entsize != sizeof(Elf64_Sym)) continue;
    if (dynsym.sh_link >= sections.size()) break;
    const Elf64_Shdr& strtab = sections[dynsym.sh_link];
    std::vector<char> names(strtab.sh_size + 1, '\0');
    if (!bytes.read(strtab.sh_offset, names.data(), strtab.sh_size))
      return Status::Invalid(file.string() + " is truncated (dynamic strings)");
    std::vector<Elf64_Sym> symbols(dynsym.sh_size / sizeof(Elf64_Sym));
    if (!bytes.read(dynsym.sh_offset, symbols.data(), symbols.size() * sizeof(Elf64_Sym)))
      return Status::Invalid(file.string() + " is truncated (dynamic symbols)");

    for (const Elf64_Sym& symbol : symbols) {
      if (symbol.st_name >= strtab.sh_size) continue;
      if (std::strcmp(names.data() + symbol.st_name, ALYS_MANIFEST_SYMBOL) != 0) continue;
      if (symbol.st_shndx == SHN_UNDEF || symbol.st_shndx >= sections.size())
        return Status::Invalid(file.string() + ": " ALYS_MANIFEST_SYMBOL " is not defined");
      const Elf64_Shdr& home = sections[symbol.st_shndx];
      if (home.sh_type == SHT_NOBITS)
        return Status::Invalid(file.string() + ": " ALYS_MANIFEST_SYMBOL
                                               " is zero-initialized (not constant data)");
      if (symbol.st_size < 2 * sizeof(std::uint32_t))
        return Status::Invalid(file.string() + ": " ALYS_MANIFEST_SYMBOL " is too small");
      std::uint64_t offset = home.sh_offset + (symbol.st_value - home.sh_addr);
      alys_manifest manifest{};
      std::size_t size = std::min<std::size_t>(symbol.st_size, sizeof manifest);
      if (!bytes.read(offset, &manifest, size))
        return Status::Invalid(file.string() + " is truncated (manifest)");
      // Text fields must be terminated whatever the file says.
      manifest.role[sizeof manifest.role - 1] = '\0';
      manifest.name[sizeof manifest.name - 1] = '\0';
      manifest.version[sizeof manifest.version - 1] = '\0';
      for (auto& role : manifest.requires_roles) role[sizeof role - 1] = '\0';
      if (manifest.requires_count > ALYS_REQUIRES_MAX) manifest.requires_count = ALYS_REQUIRES_MAX;
      return manifest;
    }
  }
  return Status::Invalid(file.string() + " exports no " ALYS_MANIFEST_SYMBOL
                                         " (not an alys plugin)");
}

}  // namespace alys::host
