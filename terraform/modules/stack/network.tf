# The VPC: a subnet in every zone (Serverless Containers attached with `connectivity`
# expect one per zone), Qdrant's security group, and egress through a NAT gateway for
# the Qdrant VM, which has no public address but must pull its image and read Lockbox.
# The containers need no NAT: attached to a network they keep their own internet access.

resource "yandex_vpc_network" "main" {
  name        = local.names.network
  description = "${module.spec.prefix}: the Qdrant VM and the dialog/admin containers' connectivity."
  folder_id   = var.folder_id
  labels      = local.labels
}

resource "yandex_vpc_gateway" "nat" {
  name        = local.names.nat_gateway
  description = "Egress of the Qdrant VM (image pulls, Lockbox API)."
  folder_id   = var.folder_id
  labels      = local.labels

  shared_egress_gateway {}
}

resource "yandex_vpc_route_table" "egress" {
  name       = local.names.route_table
  network_id = yandex_vpc_network.main.id
  folder_id  = var.folder_id
  labels     = local.labels

  static_route {
    destination_prefix = "0.0.0.0/0"
    gateway_id         = yandex_vpc_gateway.nat.id
  }
}

resource "yandex_vpc_subnet" "zone" {
  for_each = module.spec.subnets

  name           = local.names.subnets[each.key]
  network_id     = yandex_vpc_network.main.id
  zone           = each.key
  v4_cidr_blocks = [each.value]
  route_table_id = yandex_vpc_route_table.egress.id
  folder_id      = var.folder_id
  labels         = local.labels
}

# Qdrant: in only from the containers' range to 6333 (REST) and 6334 (gRPC); out only to
# what the VM needs. No SSH: the VM is configured by cloud-init alone.
resource "yandex_vpc_security_group" "qdrant" {
  name        = local.names.security_group
  description = "The Qdrant VM: Qdrant's ports from Serverless Containers only."
  network_id  = yandex_vpc_network.main.id
  folder_id   = var.folder_id
  labels      = local.labels

  ingress {
    description    = "Qdrant REST and gRPC from the attached Serverless Containers"
    protocol       = "TCP"
    from_port      = 6333
    to_port        = 6334
    v4_cidr_blocks = [var.serverless_cidr]
  }

  egress {
    description    = "HTTPS through the NAT gateway: the image registry, the Lockbox API"
    protocol       = "TCP"
    port           = 443
    v4_cidr_blocks = ["0.0.0.0/0"]
  }

  egress {
    description    = "DNS: the VPC's resolver"
    protocol       = "UDP"
    port           = 53
    v4_cidr_blocks = [var.vpc_cidr]
  }

  egress {
    description    = "DNS over TCP: the VPC's resolver"
    protocol       = "TCP"
    port           = 53
    v4_cidr_blocks = [var.vpc_cidr]
  }

  egress {
    description    = "The metadata service: the VM's IAM token"
    protocol       = "TCP"
    port           = 80
    v4_cidr_blocks = ["169.254.169.254/32"]
  }
}
