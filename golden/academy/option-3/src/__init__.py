"""Academy 도메인 / 애플리케이션 계층 (Hexagonal)."""
