// Placeholder: the prefork master lands with the pool work.
int main() { return 0; }
